package io.gleaner.vk.kubelet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.tls.TlsMaterial;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedApiServer;
import io.gleaner.sim.apiserver.ServerExtensions;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kubelet API's serving certificate in production: requested as a {@code
 * kubernetes.io/kubelet-serving} CertificateSigningRequest with the kubelet's identity and served
 * once issued (a denied request keeps the current certificate), or re-read from files when a
 * renewed Secret lands. Checked on the wire: the certificate a TLS client is handed.
 */
class ServingCertificatesIT {
  private SimRuntime runtime;
  private SimulatedApiServer metaServer;
  private KubernetesClient meta;
  private KubeletServer kubelet;
  private ServingCertificates certs;
  @TempDir Path dir;

  @BeforeEach
  void setUp() {
    runtime = SimRuntime.create();
    metaServer = new SimulatedApiServer("meta", runtime, Clock.systemUTC(), ServerExtensions.NONE);
    meta = metaServer.newClient();
    kubelet =
        new KubeletServer(
            runtime.vertx(),
            OnePodBackend.none(),
            KubeletAuth.anonymous("gleaner"),
            Clock.systemUTC());
    kubelet.start(
        "127.0.0.1",
        0,
        SelfSignedCertificate.generate(
            "gleaner", "127.0.0.1", Clock.systemUTC(), Duration.ofDays(1)));
  }

  @AfterEach
  void tearDown() {
    if (certs != null) {
      certs.close();
    }
    kubelet.close();
    metaServer.close();
    runtime.close();
  }

  /** The certificate the kubelet API presents to a new TLS connection. */
  private X509Certificate served() throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(
        null,
        new TrustManager[] {
          new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public X509Certificate[] getAcceptedIssuers() {
              return new X509Certificate[0];
            }
          }
        },
        null);
    try (SSLSocket s =
        (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", kubelet.port())) {
      s.startHandshake();
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }
  }

  @Test
  void aKubeletServingCsrIsRequestedAndTheIssuedCertificateServed() throws Exception {
    assertThat(served().getIssuerX500Principal())
        .as("self-signed at first")
        .isEqualTo(served().getSubjectX500Principal());
    certs =
        ServingCertificates.requestFromCluster(
            meta,
            "gleaner",
            "127.0.0.1",
            Duration.ofMillis(100),
            Clock.systemUTC(),
            kubelet::updateTls);
    CertificateSigningRequest csr =
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () ->
                    meta.certificates().v1().certificateSigningRequests().list().getItems().stream()
                        .findFirst()
                        .orElse(null),
                c -> c != null);
    assertThat(csr.getSpec().getSignerName()).isEqualTo("kubernetes.io/kubelet-serving");
    assertThat(csr.getSpec().getUsages())
        .containsExactlyInAnyOrder("digital signature", "key encipherment", "server auth");
    PKCS10CertificationRequest request;
    try (PEMParser p =
        new PEMParser(
            new StringReader(
                new String(
                    Base64.getDecoder().decode(csr.getSpec().getRequest()),
                    StandardCharsets.UTF_8)))) {
      request = (PKCS10CertificationRequest) p.readObject();
    }
    assertThat(request.getSubject().toString())
        .contains("CN=system:node:gleaner", "O=system:nodes");

    // the cluster's signer: approve and issue, signed by a CA the kubelet API has never seen
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    KeyPair ca = gen.generateKeyPair();
    Instant now = Instant.now();
    var builder =
        new JcaX509v3CertificateBuilder(
            new X500Name("CN=test-cluster-ca"),
            BigInteger.valueOf(7),
            Date.from(now.minusSeconds(60)),
            Date.from(now.plus(Duration.ofDays(30))),
            request.getSubject(),
            new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest(request).getPublicKey());
    builder.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
    X509Certificate issued =
        new JcaX509CertificateConverter()
            .getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(ca.getPrivate())));
    StringWriter pem = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(pem)) {
      w.writeObject(issued);
    }
    csr.setStatus(
        new io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestStatusBuilder()
            .withConditions(
                new CertificateSigningRequestConditionBuilder()
                    .withType("Approved")
                    .withStatus("True")
                    .withReason("TestApprove")
                    .build())
            .withCertificate(
                Base64.getEncoder().encodeToString(pem.toString().getBytes(StandardCharsets.UTF_8)))
            .build());
    meta.certificates().v1().certificateSigningRequests().resource(csr).updateStatus();

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> served().getIssuerX500Principal().getName().contains("CN=test-cluster-ca"));
    assertThat(served().getSubjectX500Principal().getName()).contains("CN=system:node:gleaner");
    assertThat(served().getSubjectAlternativeNames()).anyMatch(n -> n.get(1).equals("127.0.0.1"));
  }

  @Test
  void aDeniedCsrKeepsTheCurrentCertificate() throws Exception {
    certs =
        ServingCertificates.requestFromCluster(
            meta,
            "gleaner",
            "127.0.0.1",
            Duration.ofMillis(100),
            Clock.systemUTC(),
            kubelet::updateTls);
    CertificateSigningRequest csr =
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () ->
                    meta.certificates().v1().certificateSigningRequests().list().getItems().stream()
                        .findFirst()
                        .orElse(null),
                c -> c != null);
    csr.setStatus(
        new io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestStatusBuilder()
            .withConditions(
                new CertificateSigningRequestConditionBuilder()
                    .withType("Denied")
                    .withStatus("True")
                    .withReason("NotOurNode")
                    .withMessage("denied by the test")
                    .build())
            .build());
    meta.certificates().v1().certificateSigningRequests().resource(csr).updateStatus();
    await().pollDelay(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> true);
    assertThat(served().getIssuerX500Principal())
        .as("still self-signed")
        .isEqualTo(served().getSubjectX500Principal());
  }

  @Test
  void renewedFilesAreServedWithoutARestart() throws Exception {
    Path cert = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    TlsMaterial first =
        SelfSignedCertificate.generate("first", "127.0.0.1", Clock.systemUTC(), Duration.ofDays(1));
    Files.writeString(cert, first.certificatePem());
    Files.writeString(key, first.privateKeyPem());
    kubelet.updateTls(TlsMaterial.fromFiles(cert, key));
    assertThat(served().getSubjectX500Principal().getName()).contains("system:node:first");
    certs =
        ServingCertificates.watchFiles(
            cert, key, Duration.ofMillis(100), Clock.systemUTC(), kubelet::updateTls);
    TlsMaterial renewed =
        SelfSignedCertificate.generate(
            "renewed", "127.0.0.1", Clock.systemUTC(), Duration.ofDays(1));
    Files.writeString(key, renewed.privateKeyPem());
    Files.writeString(cert, renewed.certificatePem());
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> served().getSubjectX500Principal().getName().contains("system:node:renewed"));
  }

  /**
   * Two clients handshake back to back while the certificate is swapped eight times: every
   * handshake succeeds, and the first handshake after {@code updateTls} returns gets the new
   * certificate.
   */
  @Test
  void aCertificateSwapDropsNoHandshake() throws Exception {
    int swaps = 8;
    List<TlsMaterial> next = new ArrayList<>();
    for (int i = 0; i < swaps; i++) {
      next.add(
          SelfSignedCertificate.generate(
              "swap" + i, "127.0.0.1", Clock.systemUTC(), Duration.ofDays(1)));
    }
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger attempts = new AtomicInteger();
    Queue<String> failures = new ConcurrentLinkedQueue<>();
    List<Thread> clients = new ArrayList<>();
    for (int c = 0; c < 2; c++) {
      Thread t =
          new Thread(
              () -> {
                while (!stop.get()) {
                  try {
                    served();
                  } catch (Exception e) {
                    failures.add(e.toString());
                  }
                  attempts.incrementAndGet();
                }
              },
              "handshakes-" + c);
      t.start();
      clients.add(t);
    }
    try {
      for (int i = 0; i < swaps; i++) {
        int before = attempts.get();
        await().atMost(Duration.ofSeconds(20)).until(() -> attempts.get() >= before + 10);
        kubelet.updateTls(next.get(i));
        assertThat(served().getSubjectX500Principal().getName())
            .as("served once updateTls has returned")
            .contains("system:node:swap" + i);
      }
      int before = attempts.get();
      await().atMost(Duration.ofSeconds(20)).until(() -> attempts.get() >= before + 10);
    } finally {
      stop.set(true);
      for (Thread t : clients) {
        t.join();
      }
    }
    assertThat(attempts.get()).isGreaterThanOrEqualTo((swaps + 1) * 10);
    assertThat(failures)
        .as("of %d handshakes during %d swaps, these failed", attempts.get(), swaps)
        .isEmpty();
  }
}
