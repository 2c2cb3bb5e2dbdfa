package io.gleaner.api.auth;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * Reads a PEM certificate chain and private key into key managers, whatever form the key is in:
 * PKCS#8 ({@code BEGIN PRIVATE KEY}, cert-manager with {@code encoding: PKCS8}), SEC 1 ({@code
 * BEGIN EC PRIVATE KEY}, what the chart's {@code genPrivateKey "ecdsa"} writes) or PKCS#1 ({@code
 * BEGIN RSA PRIVATE KEY}, Helm's {@code genCA}). gRPC's own file loading takes PKCS#8 only.
 */
public final class PemKeys {
  private PemKeys() {}

  /** Key managers presenting {@code certFile}'s chain with {@code keyFile}'s key. */
  public static KeyManager[] keyManagers(String certFile, String keyFile) throws IOException {
    try {
      Certificate[] chain;
      try (InputStream in = Files.newInputStream(Path.of(certFile))) {
        chain =
            CertificateFactory.getInstance("X.509")
                .generateCertificates(in)
                .toArray(Certificate[]::new);
      }
      if (chain.length == 0) {
        throw new IOException(certFile + " holds no PEM certificate");
      }
      char[] password = new char[0];
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("key", privateKey(keyFile), password, chain);
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(store, password);
      return kmf.getKeyManagers();
    } catch (GeneralSecurityException e) {
      throw new IOException(
          "cannot use certificate " + certFile + " with key " + keyFile + ": " + e.getMessage(), e);
    }
  }

  /** The private key in {@code keyFile} (PEM: PKCS#8, PKCS#1 or SEC 1). */
  public static PrivateKey privateKey(String keyFile) throws IOException {
    try (Reader r = Files.newBufferedReader(Path.of(keyFile), StandardCharsets.US_ASCII);
        PEMParser pem = new PEMParser(r)) {
      JcaPEMKeyConverter convert = new JcaPEMKeyConverter();
      for (Object o = pem.readObject(); o != null; o = pem.readObject()) {
        if (o instanceof PrivateKeyInfo info) {
          return convert.getPrivateKey(info);
        }
        if (o instanceof PEMKeyPair pair) {
          return convert.getKeyPair(pair).getPrivate();
        }
      }
    }
    throw new IOException(keyFile + " holds no unencrypted PEM private key");
  }
}
