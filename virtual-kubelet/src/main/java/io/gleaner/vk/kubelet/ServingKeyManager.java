package io.gleaner.vk.kubelet;

import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * The kubelet API's serving key and certificate, replaceable while the server runs: every TLS
 * handshake asks this key manager, so {@link #serve} takes effect for the next handshake without
 * rebuilding the server's SSL context (Vert.x 4.5's {@code updateSSLOptions} closes connections
 * accepted while it builds the new context).
 *
 * <p>Each served pair gets its own alias. A handshake picks the alias of the pair current at that
 * moment and then asks for that alias's key and chain, so a swap in between cannot hand it the new
 * chain with the old key. The last {@value #KEPT} pairs stay reachable by alias for handshakes that
 * are still running.
 */
final class ServingKeyManager extends X509ExtendedKeyManager {
  static final int KEPT = 8;
  private static final char[] PASSWORD = "kubelet-serving".toCharArray();

  private final AtomicLong generations = new AtomicLong();
  private final Map<String, X509ExtendedKeyManager> byAlias =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, X509ExtendedKeyManager> eldest) {
          return size() > KEPT;
        }
      };
  private volatile X509ExtendedKeyManager current;
  private volatile X509Certificate leaf;

  ServingKeyManager(TlsMaterial tls) {
    serve(tls);
  }

  /**
   * Serves {@code tls} to every handshake that starts after this returns.
   *
   * @throws IllegalArgumentException when the PEM cannot be read or the key does not belong to the
   *     certificate; the pair served so far stays
   */
  void serve(TlsMaterial tls) {
    X509Certificate[] chain = certificates(tls.certificatePem());
    PrivateKey key = privateKey(tls.privateKeyPem());
    requireMatching(key, chain[0]);
    String alias = "kubelet-serving-" + generations.incrementAndGet();
    X509ExtendedKeyManager manager = singleEntry(alias, key, chain);
    synchronized (byAlias) {
      byAlias.put(alias, manager);
    }
    current = manager;
    leaf = chain[0];
  }

  /** The certificate new handshakes are served. */
  X509Certificate served() {
    return leaf;
  }

  private X509ExtendedKeyManager forAlias(String alias) {
    if (alias == null) {
      return null;
    }
    synchronized (byAlias) {
      return byAlias.get(alias);
    }
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return current.chooseEngineServerAlias(keyType, issuers, engine);
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return current.chooseServerAlias(keyType, issuers, socket);
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return current.getServerAliases(keyType, issuers);
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    X509ExtendedKeyManager m = forAlias(alias);
    return m == null ? null : m.getCertificateChain(alias);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    X509ExtendedKeyManager m = forAlias(alias);
    return m == null ? null : m.getPrivateKey(alias);
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return null;
  }

  /** The JDK's key manager over one entry: it matches key types to the key as the JDK does. */
  private static X509ExtendedKeyManager singleEntry(
      String alias, PrivateKey key, X509Certificate[] chain) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry(alias, key, PASSWORD, chain);
      KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
      kmf.init(store, PASSWORD);
      return (X509ExtendedKeyManager) kmf.getKeyManagers()[0];
    } catch (Exception e) {
      throw new IllegalArgumentException(
          "kubelet.tls key and certificate cannot be served: " + e.getMessage(), e);
    }
  }

  static X509Certificate[] certificates(String pem) {
    try {
      return CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8)))
          .stream()
          .map(X509Certificate.class::cast)
          .toArray(X509Certificate[]::new);
    } catch (Exception e) {
      throw new IllegalArgumentException(
          "kubelet.tls certificate cannot be read: " + e.getMessage(), e);
    }
  }

  /** PKCS#8 ({@code PRIVATE KEY}), PKCS#1 ({@code RSA PRIVATE KEY}) or SEC1 ({@code EC ...}). */
  static PrivateKey privateKey(String pem) {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
        if (o instanceof PEMKeyPair pair) {
          return converter.getKeyPair(pair).getPrivate();
        }
        if (o instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
      }
    } catch (Exception e) {
      throw new IllegalArgumentException("kubelet.tls key cannot be read: " + e.getMessage(), e);
    }
    throw new IllegalArgumentException("kubelet.tls key holds no unencrypted private key");
  }

  /**
   * Signs with the key and verifies with the certificate: a Secret caught half-written (new key,
   * old certificate) is refused instead of failing every handshake.
   */
  private static void requireMatching(PrivateKey key, Certificate cert) {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
          default -> null;
        };
    if (algorithm == null) {
      return;
    }
    boolean matches;
    try {
      byte[] probe = new byte[32];
      new SecureRandom().nextBytes(probe);
      Signature sign = Signature.getInstance(algorithm);
      sign.initSign(key);
      sign.update(probe);
      byte[] signature = sign.sign();
      Signature verify = Signature.getInstance(algorithm);
      verify.initVerify(cert.getPublicKey());
      verify.update(probe);
      matches = verify.verify(signature);
    } catch (Exception e) {
      matches = false;
    }
    if (!matches) {
      throw new IllegalArgumentException(
          "kubelet.tls key does not belong to the certificate "
              + ((X509Certificate) cert).getSubjectX500Principal().getName());
    }
  }
}
