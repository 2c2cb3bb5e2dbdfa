package io.gleaner.api.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringWriter;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

class ReloadingKeyManagerTest {
  /** A self-signed RSA certificate with {@code CN=system:node:<node>} and its key in PKCS#8. */
  private static TlsMaterial rsa(String node) {
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
      gen.initialize(2048);
      return selfSigned(node, gen.generateKeyPair(), "SHA256withRSA");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** An EC P-256 certificate with its key in PKCS#8, as a kubelet-serving CSR produces. */
  private static TlsMaterial ec(String node) throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(256);
    return selfSigned(node, gen.generateKeyPair(), "SHA256withECDSA");
  }

  private static TlsMaterial selfSigned(String node, KeyPair kp, String algorithm)
      throws Exception {
    X500Name subject = new X500Name("CN=system:node:" + node);
    Instant now = Instant.now();
    var cert =
        new JcaX509v3CertificateBuilder(
                subject,
                BigInteger.ONE,
                Date.from(now.minusSeconds(60)),
                Date.from(now.plus(Duration.ofDays(1))),
                subject,
                kp.getPublic())
            .build(new JcaContentSignerBuilder(algorithm).build(kp.getPrivate()));
    return new TlsMaterial(pem(cert), pem(new JcaPKCS8Generator(kp.getPrivate(), null)));
  }

  private static String pem(Object o) throws Exception {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o);
    }
    return out.toString();
  }

  private static String subject(X509Certificate c) {
    return c.getSubjectX500Principal().getName();
  }

  private static boolean belongTogether(PrivateKey key, X509Certificate cert, String algorithm)
      throws Exception {
    Signature sign = Signature.getInstance(algorithm);
    sign.initSign(key);
    sign.update(new byte[] {1, 2, 3});
    byte[] signature = sign.sign();
    Signature verify = Signature.getInstance(algorithm);
    verify.initVerify(cert.getPublicKey());
    verify.update(new byte[] {1, 2, 3});
    return verify.verify(signature);
  }

  @Test
  void aHandshakeKeepsTheKeyAndChainOfTheAliasItChoseAcrossASwap() throws Exception {
    ReloadingKeyManager km = new ReloadingKeyManager(rsa("first"));
    String during = km.chooseEngineServerAlias("RSA", null, null);

    km.serve(rsa("second"));

    assertThat(subject(km.getCertificateChain(during)[0])).contains("system:node:first");
    assertThat(
            belongTogether(
                km.getPrivateKey(during), km.getCertificateChain(during)[0], "SHA256withRSA"))
        .isTrue();
    String after = km.chooseEngineServerAlias("RSA", null, null);
    assertThat(after).isNotEqualTo(during);
    assertThat(subject(km.getCertificateChain(after)[0])).contains("system:node:second");
    assertThat(
            belongTogether(
                km.getPrivateKey(after), km.getCertificateChain(after)[0], "SHA256withRSA"))
        .isTrue();
    assertThat(subject(km.served())).contains("system:node:second");
  }

  @Test
  void aKeyOfAnotherCertificateIsRefusedAndTheServedPairStays() {
    TlsMaterial first = rsa("first");
    TlsMaterial second = rsa("second");
    ReloadingKeyManager km = new ReloadingKeyManager(first);

    assertThatThrownBy(
            () -> km.serve(new TlsMaterial(second.certificatePem(), first.privateKeyPem())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not belong to the certificate");

    String alias = km.chooseEngineServerAlias("RSA", null, null);
    assertThat(subject(km.getCertificateChain(alias)[0])).contains("system:node:first");
  }

  @Test
  void anEcKeyInPkcs8IsServedForEcHandshakesOnly() throws Exception {
    ReloadingKeyManager km = new ReloadingKeyManager(ec("issued"));

    assertThat(km.chooseEngineServerAlias("RSA", null, null)).isNull();
    String alias = km.chooseEngineServerAlias("EC", null, null);
    assertThat(subject(km.getCertificateChain(alias)[0])).contains("system:node:issued");
    assertThat(
            belongTogether(
                km.getPrivateKey(alias), km.getCertificateChain(alias)[0], "SHA256withECDSA"))
        .isTrue();
  }

  @Test
  void onlyTheLastPairsStayReachableByAlias() {
    ReloadingKeyManager km = new ReloadingKeyManager(rsa("first"));
    String oldest = km.chooseEngineServerAlias("RSA", null, null);
    for (int i = 0; i < ReloadingKeyManager.KEPT - 1; i++) {
      km.serve(rsa("n" + i));
    }
    assertThat(km.getCertificateChain(oldest)).isNotNull();

    km.serve(rsa("last"));

    assertThat(km.getCertificateChain(oldest)).isNull();
    assertThat(km.getPrivateKey(oldest)).isNull();
  }

  @Test
  void aClientPresentsItsCertificateWhateverCasTheServerNames() {
    ReloadingKeyManager km = new ReloadingKeyManager(rsa("client"));
    javax.security.auth.x500.X500Principal otherCa =
        new javax.security.auth.x500.X500Principal("CN=a CA the server trusted at its start");
    String alias =
        km.chooseEngineClientAlias(
            new String[] {"RSA"}, new java.security.Principal[] {otherCa}, null);
    assertThat(alias).isNotNull();
    assertThat(km.getCertificateChain(alias)[0].getSubjectX500Principal().getName())
        .isEqualTo("CN=system:node:client");
    assertThat(
            km.chooseClientAlias(
                new String[] {"RSA"}, new java.security.Principal[] {otherCa}, null))
        .isNotNull();
  }
}
