package io.gleaner.api.tls;

import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
 * A key and certificate chain replaceable while servers and clients run: every TLS handshake asks
 * this key manager, so {@link #serve} takes effect for the next handshake without rebuilding an SSL
 * context (rebuilding one drops the handshakes in flight: Vert.x 4.5's {@code updateSSLOptions}
 * closes connections accepted meanwhile, and gRPC cannot swap its credentials at all). Used by
 * every Gleaner TLS endpoint: the kubelet API's serving certificate, the gRPC servers' certificates
 * and the gRPC clients' certificates; {@link CertificateFiles} feeds it renewed files.
 *
 * <p>Each served pair gets its own alias. A handshake picks the alias of the pair current at that
 * moment and then asks for that alias's key and chain, so a swap in between cannot hand it the new
 * chain with the old key; a TLS library that caches key material by alias (Netty's OpenSSL
 * provider) sees a new alias for a new pair. The last {@value #KEPT} pairs stay reachable by alias
 * for handshakes that are still running.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {
  static final int KEPT = 8;
  private static final char[] PASSWORD = "reloading".toCharArray();

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

  /** Presents {@code tls} until {@link #serve} replaces it. */
  public ReloadingKeyManager(TlsMaterial tls) {
    serve(tls);
  }

  /** Presents the PEM files {@code cert} and {@code key}, as read now. */
  public static ReloadingKeyManager fromFiles(Path cert, Path key) {
    return new ReloadingKeyManager(TlsMaterial.fromFiles(cert, key));
  }

  /**
   * Serves {@code tls} to every handshake that starts after this returns.
   *
   * @throws IllegalArgumentException when the PEM cannot be read or the key does not belong to the
   *     certificate; the pair served so far stays
   */
  public void serve(TlsMaterial tls) {
    X509Certificate[] chain = certificates(tls.certificatePem());
    if (chain.length == 0) {
      throw new IllegalArgumentException("the certificate file holds no PEM certificate");
    }
    PrivateKey key = privateKey(tls.privateKeyPem());
    requireMatching(key, chain[0]);
    String alias = "pair-" + generations.incrementAndGet();
    X509ExtendedKeyManager manager = singleEntry(alias, key, chain);
    synchronized (byAlias) {
      byAlias.put(alias, manager);
    }
    current = manager;
    leaf = chain[0];
  }

  /** The certificate new handshakes are handed. */
  public X509Certificate served() {
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
    return current.getClientAliases(keyType, issuers);
  }

  /**
   * The client's one certificate, whichever CAs the server names in its request: that list can be
   * stale during a CA rotation (a server built on OpenSSL fixes it when its context is built,
   * before the new CA was trusted), and the server's own verification decides.
   */
  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return current.chooseClientAlias(keyType, null, socket);
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return current.chooseEngineClientAlias(keyType, null, engine);
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
          "the key and certificate cannot be used: " + e.getMessage(), e);
    }
  }

  /** The certificates of a PEM text, leaf first. */
  public static X509Certificate[] certificates(String pem) {
    try {
      return CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8)))
          .stream()
          .map(X509Certificate.class::cast)
          .toArray(X509Certificate[]::new);
    } catch (Exception e) {
      throw new IllegalArgumentException("the certificate cannot be read: " + e.getMessage(), e);
    }
  }

  /** PKCS#8 ({@code PRIVATE KEY}), PKCS#1 ({@code RSA PRIVATE KEY}) or SEC1 ({@code EC ...}). */
  public static PrivateKey privateKey(String pem) {
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
      throw new IllegalArgumentException("the key cannot be read: " + e.getMessage(), e);
    }
    throw new IllegalArgumentException("the key file holds no unencrypted PEM private key");
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
          "the key does not belong to the certificate "
              + ((X509Certificate) cert).getSubjectX500Principal().getName());
    }
  }
}
