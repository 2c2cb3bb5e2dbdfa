package io.gleaner.vk.kubelet;

import io.gleaner.api.tls.TlsMaterial;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A self-signed kubelet serving certificate made at start (sandbox only): an EC P-256 key (an RSA
 * 2048 key pair costs seconds on a JVM without the optimizing compiler), SHA-256, SANs for the node
 * name and its IP. The API server's kubelet client must be configured to skip verification (the
 * sandbox's simulated API server does); production uses certificate files (see {@link
 * TlsMaterial#fromFiles}).
 */
public final class SelfSignedCertificate {
  private SelfSignedCertificate() {}

  public static TlsMaterial generate(String nodeName, String ip, Clock clock, Duration validity) {
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
      gen.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      KeyPair kp = gen.generateKeyPair();
      Date notBefore = Date.from(clock.instant().minus(Duration.ofMinutes(5)));
      Date notAfter = Date.from(clock.instant().plus(validity));
      X500Name subject = new X500Name("CN=system:node:" + nodeName + ",O=system:nodes");
      List<GeneralName> sans = new ArrayList<>();
      sans.add(new GeneralName(GeneralName.dNSName, nodeName));
      sans.add(new GeneralName(GeneralName.dNSName, "localhost"));
      if (ip != null && ip.matches("[0-9.]+|[0-9a-fA-F:]+")) {
        sans.add(new GeneralName(GeneralName.iPAddress, ip));
      }
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              subject,
              BigInteger.valueOf(clock.millis()),
              notBefore,
              notAfter,
              subject,
              kp.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      b.addExtension(
          Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(sans.toArray(new GeneralName[0])));
      X509CertificateHolder holder =
          b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate()));
      // PKCS#8: Vert.x reads no SEC1 ("EC PRIVATE KEY") PEM
      return new TlsMaterial(pem(holder), pem(new JcaPKCS8Generator(kp.getPrivate(), null)));
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot generate the kubelet's self-signed certificate: " + e.getMessage(), e);
    }
  }

  /** PEM text of a certificate, key or certification request. */
  static String pem(Object o) throws java.io.IOException {
    StringWriter sw = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
      w.writeObject(o);
    }
    return sw.toString();
  }
}
