package io.gleaner.sim.apiserver.auth;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The certificate authority of one simulated cluster (kubeadm's {@code kubernetes} CA): it signs
 * the API server's serving certificate and the client certificates the API server accepts (CN =
 * user name, O = groups). ECDSA P-256 keys, so that a hundred simulated clusters start quickly.
 * Validity is wall-clock time (TLS peers check it against their own clock, not the cluster's).
 */
public final class ClusterCa {
  private static final Duration VALIDITY = Duration.ofDays(3650);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final KeyPair caKeys;
  private final X509Certificate caCertificate;
  private final AtomicLong serial = new AtomicLong(2);

  /** A certificate and its private key. */
  public record Issued(X509Certificate certificate, PrivateKey key) {
    /** The certificate as PEM text. */
    public String certificatePem() {
      return pem("CERTIFICATE", encoded(certificate));
    }

    /**
     * The private key as SEC 1 PEM text ({@code BEGIN EC PRIVATE KEY}), the form kubeadm writes and
     * from which fabric8 infers the key algorithm.
     */
    public String keyPem() {
      try {
        java.security.interfaces.ECPrivateKey ec = (java.security.interfaces.ECPrivateKey) key;
        byte[] der =
            new org.bouncycastle.asn1.sec.ECPrivateKey(
                    256, ec.getS(), org.bouncycastle.asn1.sec.SECObjectIdentifiers.secp256r1)
                .getEncoded();
        return pem("EC PRIVATE KEY", der);
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }

    /** The private key as PKCS#8 PEM text ({@code BEGIN PRIVATE KEY}), for Vert.x. */
    public String pkcs8KeyPem() {
      return pem("PRIVATE KEY", key.getEncoded());
    }
  }

  private ClusterCa(KeyPair caKeys, X509Certificate caCertificate) {
    this.caKeys = caKeys;
    this.caCertificate = caCertificate;
  }

  /** A new CA with subject {@code CN=<commonName>}. */
  public static ClusterCa create(String commonName) {
    try {
      KeyPair keys = newKeyPair();
      Instant now = Instant.now();
      X500NameBuilder subject = new X500NameBuilder(BCStyle.INSTANCE);
      subject.addRDN(BCStyle.CN, commonName);
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              subject.build(),
              BigInteger.ONE,
              Date.from(now.minus(Duration.ofHours(1))),
              Date.from(now.plus(VALIDITY)),
              subject.build(),
              keys.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
      return new ClusterCa(keys, sign(b, keys.getPrivate()));
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot create the cluster CA " + commonName, e);
    }
  }

  public X509Certificate certificate() {
    return caCertificate;
  }

  /** The CA certificate as PEM text (a kubeconfig's {@code certificate-authority-data}). */
  public String certificatePem() {
    return pem("CERTIFICATE", encoded(caCertificate));
  }

  /** A serving certificate for {@code hosts} (IP addresses or DNS names). */
  public Issued issueServing(String commonName, List<String> hosts) {
    List<GeneralName> sans = new ArrayList<>();
    for (String h : hosts) {
      sans.add(
          new GeneralName(
              h.matches("[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:]*")
                  ? GeneralName.iPAddress
                  : GeneralName.dNSName,
              h));
    }
    return issue(commonName, List.of(), KeyPurposeId.id_kp_serverAuth, sans);
  }

  /** A client certificate: CN = {@code user}, one O per group. */
  public Issued issueClient(String user, List<String> groups) {
    return issue(user, groups, KeyPurposeId.id_kp_clientAuth, List.of());
  }

  private Issued issue(
      String commonName, List<String> organizations, KeyPurposeId usage, List<GeneralName> sans) {
    try {
      KeyPair keys = newKeyPair();
      Instant now = Instant.now();
      X500NameBuilder subject = new X500NameBuilder(BCStyle.INSTANCE);
      for (String o : organizations) {
        subject.addRDN(BCStyle.O, o);
      }
      subject.addRDN(BCStyle.CN, commonName);
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              caCertificate,
              BigInteger.valueOf(serial.getAndIncrement()),
              Date.from(now.minus(Duration.ofHours(1))),
              Date.from(now.plus(VALIDITY)),
              subject.build(),
              keys.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(usage));
      if (!sans.isEmpty()) {
        b.addExtension(
            Extension.subjectAlternativeName,
            false,
            new GeneralNames(sans.toArray(GeneralName[]::new)));
      }
      return new Issued(sign(b, caKeys.getPrivate()), keys.getPrivate());
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot issue a certificate for " + commonName, e);
    }
  }

  /**
   * Whether {@code cert} was signed by this CA and is valid now (wall clock), as kube-apiserver's
   * x509 authenticator checks a client certificate.
   */
  public boolean verify(X509Certificate cert) {
    try {
      cert.verify(caCertificate.getPublicKey());
      cert.checkValidity();
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /**
   * A TLS context that trusts this CA and, when {@code client} is not null, presents that client
   * certificate (for raw HTTP clients in tests).
   */
  public SSLContext sslContext(Issued client) {
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("ca", caCertificate);
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      KeyManagerFactory kmf = null;
      if (client != null) {
        char[] password = "sim".toCharArray();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry(
            "client", client.key(), password, new Certificate[] {client.certificate()});
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password);
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), RANDOM);
      return ctx;
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot build a TLS context", e);
    }
  }

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return gen.generateKeyPair();
  }

  private static X509Certificate sign(JcaX509v3CertificateBuilder b, PrivateKey signer)
      throws GeneralSecurityException {
    try {
      X509CertificateHolder holder =
          b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer));
      return new JcaX509CertificateConverter().getCertificate(holder);
    } catch (org.bouncycastle.operator.OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static byte[] encoded(X509Certificate cert) {
    try {
      return cert.getEncoded();
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }

  static String pem(String type, byte[] der) {
    String body =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }
}
