package io.gleaner.api.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * Private keys in every PEM form Gleaner meets: PKCS#1 (Helm's {@code genCA}), SEC 1 (the chart's
 * {@code genPrivateKey "ecdsa"}) and PKCS#8 (cert-manager with {@code encoding: PKCS8}).
 */
class PemFormsTest {
  private static Path resource(String name) {
    return Path.of("src/test/resources/pem", name);
  }

  @Test
  void aPkcs1RsaKeyAsHelmWritesItIsPresented() {
    ReloadingKeyManager km =
        ReloadingKeyManager.fromFiles(resource("rsa.crt"), resource("rsa-pkcs1.key"));
    String alias = km.chooseEngineClientAlias(new String[] {"RSA"}, null, null);
    assertThat(km.getPrivateKey(alias).getAlgorithm()).isEqualTo("RSA");
    assertThat(km.getCertificateChain(alias)[0].getSubjectX500Principal().getName())
        .isEqualTo("CN=reader");
    assertThat(km.served().getSubjectX500Principal().getName()).isEqualTo("CN=reader");
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
    assertThat(ReloadingKeyManager.privateKey(pem).getAlgorithm()).isEqualTo("EC");
  }

  @Test
  void aFileWithoutAKeySaysSo() {
    assertThatThrownBy(() -> ReloadingKeyManager.privateKey("nothing here\n"))
        .hasMessageContaining("holds no unencrypted PEM private key");
  }
}
