package io.gleaner.api.tls;

import java.net.Socket;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The CA bundle a TLS endpoint verifies its peers against, replaceable while it runs: every
 * handshake asks this trust manager, so {@link #trust} takes effect for the next handshake. A CA
 * rotation goes through a bundle holding the old and the new CA (peers of either are trusted) to
 * the new CA alone (peers of the old one are refused from the next handshake on). {@link
 * CertificateFiles#trustManager} feeds it the mounted bundle when it changes.
 */
public final class ReloadingTrustManager extends X509ExtendedTrustManager {
  private volatile X509ExtendedTrustManager current;
  private volatile List<X509Certificate> anchors;

  /** Trusts the CA certificates of the PEM text {@code bundle} until {@link #trust} replaces it. */
  public ReloadingTrustManager(String bundle) {
    trust(bundle);
  }

  /**
   * Trusts the CA certificates of {@code bundle} (PEM, one or more) in every handshake that starts
   * after this returns.
   *
   * @throws IllegalArgumentException when the text holds no certificate or cannot be read; the
   *     bundle trusted so far stays
   */
  public void trust(String bundle) {
    X509Certificate[] cas = ReloadingKeyManager.certificates(bundle);
    if (cas.length == 0) {
      throw new IllegalArgumentException("the CA file holds no PEM certificate");
    }
    X509ExtendedTrustManager manager = over(cas);
    anchors = List.of(cas);
    current = manager;
  }

  /** The CA certificates new handshakes are verified against. */
  public List<X509Certificate> trusted() {
    return anchors;
  }

  /** The JDK's PKIX trust manager over exactly these anchors. */
  private static X509ExtendedTrustManager over(X509Certificate[] cas) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      for (int i = 0; i < cas.length; i++) {
        store.setCertificateEntry("ca-" + i, cas[i]);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(store);
      for (TrustManager tm : tmf.getTrustManagers()) {
        if (tm instanceof X509ExtendedTrustManager x509) {
          return x509;
        }
      }
      throw new IllegalStateException("the JDK offers no X.509 trust manager");
    } catch (Exception e) {
      throw new IllegalArgumentException("the CA bundle cannot be used: " + e.getMessage(), e);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    current.checkClientTrusted(chain, authType, socket);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    current.checkServerTrusted(chain, authType, socket);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    current.checkClientTrusted(chain, authType, engine);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    current.checkServerTrusted(chain, authType, engine);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    current.checkClientTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    current.checkServerTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return current.getAcceptedIssuers();
  }
}
