package io.gleaner.api.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringWriter;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

class ReloadingTrustManagerTest {
  private record Ca(KeyPair keys, X509Certificate cert) {
    static Ca create(String name) throws Exception {
      KeyPair kp = rsa();
      X500Name subject = new X500Name("CN=" + name);
      return new Ca(kp, sign(subject, kp, subject, kp, true));
    }

    X509Certificate issue(String cn) throws Exception {
      return sign(
          new X500Name(cert.getSubjectX500Principal().getName()),
          keys,
          new X500Name("CN=" + cn),
          rsa(),
          false);
    }

    String pem() throws Exception {
      StringWriter out = new StringWriter();
      try (JcaPEMWriter w = new JcaPEMWriter(out)) {
        w.writeObject(cert);
      }
      return out.toString();
    }
  }

  private static KeyPair rsa() throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    return gen.generateKeyPair();
  }

  private static X509Certificate sign(
      X500Name issuer, KeyPair issuerKeys, X500Name subject, KeyPair subjectKeys, boolean ca)
      throws Exception {
    Instant now = Instant.now();
    var b =
        new JcaX509v3CertificateBuilder(
            issuer,
            BigInteger.valueOf(now.toEpochMilli()),
            Date.from(now.minusSeconds(60)),
            Date.from(now.plus(Duration.ofDays(1))),
            subject,
            subjectKeys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    return new JcaX509CertificateConverter()
        .getCertificate(
            b.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKeys.getPrivate())));
  }

  private static void verify(ReloadingTrustManager tm, X509Certificate leaf)
      throws CertificateException {
    tm.checkClientTrusted(new X509Certificate[] {leaf}, "RSA");
  }

  @Test
  void aRotationTrustsBothCasThenOnlyTheNewOne() throws Exception {
    Ca old = Ca.create("old");
    Ca next = Ca.create("next");
    X509Certificate ofOld = old.issue("reader");
    X509Certificate ofNext = next.issue("reader");
    ReloadingTrustManager tm = new ReloadingTrustManager(old.pem());
    assertThatCode(() -> verify(tm, ofOld)).doesNotThrowAnyException();
    assertThatThrownBy(() -> verify(tm, ofNext)).isInstanceOf(CertificateException.class);

    tm.trust(old.pem() + next.pem());
    assertThatCode(() -> verify(tm, ofOld)).doesNotThrowAnyException();
    assertThatCode(() -> verify(tm, ofNext)).doesNotThrowAnyException();
    assertThat(tm.trusted()).hasSize(2);
    assertThat(tm.getAcceptedIssuers()).hasSize(2);

    tm.trust(next.pem());
    assertThatThrownBy(() -> verify(tm, ofOld)).isInstanceOf(CertificateException.class);
    assertThatCode(() -> verify(tm, ofNext)).doesNotThrowAnyException();
  }

  @Test
  void aBundleWithoutCertificatesIsRefusedAndTheOldOneStays() throws Exception {
    Ca old = Ca.create("old");
    ReloadingTrustManager tm = new ReloadingTrustManager(old.pem());
    assertThatThrownBy(() -> tm.trust("")).hasMessageContaining("no PEM certificate");
    assertThatThrownBy(() -> tm.trust("-----BEGIN CERTIFICATE-----\nnope\n"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatCode(() -> verify(tm, old.issue("reader"))).doesNotThrowAnyException();
    assertThatThrownBy(() -> new ReloadingTrustManager(""))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
