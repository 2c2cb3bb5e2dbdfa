package io.gleaner.api.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.Base64;
import javax.net.ssl.X509KeyManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemKeysTest {
  @TempDir Path dir;

  private static String resource(String name) {
    return Path.of("src/test/resources/pem", name).toString();
  }

  @Test
  void aPkcs1RsaKeyAsHelmWritesItIsRead() throws IOException {
    X509KeyManager km =
        (X509KeyManager) PemKeys.keyManagers(resource("rsa.crt"), resource("rsa-pkcs1.key"))[0];
    assertThat(km.getPrivateKey("key").getAlgorithm()).isEqualTo("RSA");
    assertThat(km.getCertificateChain("key")[0].getSubjectX500Principal().getName())
        .isEqualTo("CN=reader");
  }

  @Test
  void aPkcs8KeyIsRead() throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(256);
    String pem =
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder()
                .encodeToString(gen.generateKeyPair().getPrivate().getEncoded())
            + "\n-----END PRIVATE KEY-----\n";
    Path key = Files.writeString(dir.resolve("ec.key"), pem);
    assertThat(PemKeys.privateKey(key.toString()).getAlgorithm()).isEqualTo("EC");
  }

  @Test
  void aFileWithoutAKeySaysSo() throws IOException {
    Path empty = Files.writeString(dir.resolve("none.key"), "nothing here\n");
    assertThatThrownBy(() -> PemKeys.privateKey(empty.toString()))
        .hasMessageContaining("holds no unencrypted PEM private key");
  }
}
