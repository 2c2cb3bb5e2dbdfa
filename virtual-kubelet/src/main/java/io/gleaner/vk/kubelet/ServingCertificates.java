package io.gleaner.vk.kubelet;

import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestBuilder;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.gleaner.api.tls.CertificateFiles;
import io.gleaner.api.tls.TlsMaterial;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the kubelet API's serving certificate current, the two production ways:
 *
 * <ul>
 *   <li><b>files</b>: PEM certificate and key (a mounted {@code kubernetes.io/tls} Secret). They
 *       are re-read when they change, so a certificate renewed by cert-manager is served without a
 *       restart.
 *   <li><b>csr</b>: like a kubelet with {@code serverTLSBootstrap}: a new key, and a
 *       CertificateSigningRequest for the {@code kubernetes.io/kubelet-serving} signer with the
 *       kubelet's identity ({@code system:node:<node>} in {@code system:nodes}) and the node's
 *       address as SAN. Once approved and issued, the certificate is served; at two thirds of its
 *       life a new one is requested. Until the first is issued the self-signed one stays in place,
 *       and a denied or failed request is logged with its reason and asked again later.
 * </ul>
 *
 * The new material goes to {@code serve} (the kubelet server's {@link KubeletServer#updateTls}).
 */
public final class ServingCertificates implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServingCertificates.class);
  static final String SIGNER = "kubernetes.io/kubelet-serving";

  private final Clock clock;
  private final Consumer<TlsMaterial> serve;
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "kubelet-serving-certificate");
            t.setDaemon(true);
            return t;
          });
  private final Duration poll;
  private volatile CertificateFiles files;

  private ServingCertificates(Clock clock, Consumer<TlsMaterial> serve, Duration poll) {
    this.clock = clock;
    this.serve = serve;
    this.poll = poll;
  }

  /**
   * Watches {@code cert}/{@code key} every {@code poll} and serves them again when either changes
   * ({@link CertificateFiles}, as every Gleaner TLS endpoint does).
   */
  public static ServingCertificates watchFiles(
      Path cert, Path key, Duration poll, Clock clock, Consumer<TlsMaterial> serve) {
    ServingCertificates s = new ServingCertificates(clock, serve, poll);
    s.files = CertificateFiles.watch(cert, key, poll, serve);
    return s;
  }

  /**
   * Requests a serving certificate for {@code nodeName} at {@code ip} through the metadata
   * cluster's certificates API, polling every {@code poll} for the issued certificate.
   */
  public static ServingCertificates requestFromCluster(
      KubernetesClient meta,
      String nodeName,
      String ip,
      Duration poll,
      Clock clock,
      Consumer<TlsMaterial> serve) {
    ServingCertificates s = new ServingCertificates(clock, serve, poll);
    s.scheduler.execute(() -> s.request(meta, nodeName, ip));
    return s;
  }

  private void request(KubernetesClient meta, String nodeName, String ip) {
    String name = "gleaner-kubelet-serving-" + nodeName + "-" + clock.instant().getEpochSecond();
    String keyPem;
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
      gen.initialize(256);
      KeyPair kp = gen.generateKeyPair();
      keyPem =
          SelfSignedCertificate.pem(
              new JcaPKCS8Generator(kp.getPrivate(), null)); // PKCS#8, not SEC1
      CertificateSigningRequest csr =
          new CertificateSigningRequestBuilder()
              .withNewMetadata()
              .withName(name)
              .addToLabels("app.kubernetes.io/name", "gleaner")
              .addToLabels("gleaner.io/node", nodeName)
              .endMetadata()
              .withNewSpec()
              .withSignerName(SIGNER)
              .withRequest(
                  Base64.getEncoder()
                      .encodeToString(csrPem(kp, nodeName, ip).getBytes(StandardCharsets.UTF_8)))
              .withUsages("digital signature", "key encipherment", "server auth")
              .endSpec()
              .build();
      meta.certificates().v1().certificateSigningRequests().resource(csr).create();
      log.info(
          "requested a kubelet serving certificate: CertificateSigningRequest {} (signer {}); approve it with "
              + "kubectl certificate approve {}",
          name,
          SIGNER,
          name);
    } catch (Exception e) {
      log.warn(
          "cannot request a kubelet serving certificate ({}); keeping the current one, retrying in 1m",
          e.getMessage());
      retry(meta, nodeName, ip, Duration.ofMinutes(1));
      return;
    }
    awaitIssued(meta, nodeName, ip, name, keyPem);
  }

  private void awaitIssued(
      KubernetesClient meta, String nodeName, String ip, String name, String keyPem) {
    CertificateSigningRequest csr;
    try {
      csr = meta.certificates().v1().certificateSigningRequests().withName(name).get();
    } catch (KubernetesClientException e) {
      scheduler.schedule(
          () -> awaitIssued(meta, nodeName, ip, name, keyPem),
          poll.toMillis(),
          TimeUnit.MILLISECONDS);
      return;
    }
    if (csr == null) {
      log.warn(
          "CertificateSigningRequest {} was deleted before it was issued; requesting again", name);
      retry(meta, nodeName, ip, poll);
      return;
    }
    List<CertificateSigningRequestCondition> conditions =
        csr.getStatus() == null
            ? List.of()
            : Objects.requireNonNullElse(csr.getStatus().getConditions(), List.of());
    for (CertificateSigningRequestCondition c : conditions) {
      if ("Denied".equals(c.getType()) || "Failed".equals(c.getType())) {
        log.warn(
            "CertificateSigningRequest {} {}: {} {}; keeping the current certificate, asking again in 10m",
            name,
            c.getType().toLowerCase(),
            c.getReason(),
            c.getMessage());
        retry(meta, nodeName, ip, Duration.ofMinutes(10));
        return;
      }
    }
    String issued = csr.getStatus() == null ? null : csr.getStatus().getCertificate();
    if (issued == null || issued.isEmpty()) {
      scheduler.schedule(
          () -> awaitIssued(meta, nodeName, ip, name, keyPem),
          poll.toMillis(),
          TimeUnit.MILLISECONDS);
      return;
    }
    String certPem = new String(Base64.getDecoder().decode(issued), StandardCharsets.UTF_8);
    try {
      serve.accept(new TlsMaterial(certPem, keyPem));
    } catch (RuntimeException e) {
      log.warn(
          "issued certificate of {} cannot be served: {}; asking again in 10m",
          name,
          e.getMessage());
      retry(meta, nodeName, ip, Duration.ofMinutes(10));
      return;
    }
    Duration renewIn = renewal(certPem, clock.instant());
    log.info(
        "serving the certificate issued for CertificateSigningRequest {}; renewing in {}",
        name,
        renewIn);
    retry(meta, nodeName, ip, renewIn);
  }

  private void retry(KubernetesClient meta, String nodeName, String ip, Duration after) {
    if (!scheduler.isShutdown()) {
      scheduler.schedule(
          () -> request(meta, nodeName, ip), Math.max(1, after.toMillis()), TimeUnit.MILLISECONDS);
    }
  }

  /** Two thirds into the certificate's validity, counted from now; at least a minute. */
  static Duration renewal(String certPem, Instant now) {
    try {
      X509Certificate cert =
          (X509Certificate)
              CertificateFactory.getInstance("X.509")
                  .generateCertificate(
                      new ByteArrayInputStream(certPem.getBytes(StandardCharsets.UTF_8)));
      Instant from = cert.getNotBefore().toInstant();
      Instant to = cert.getNotAfter().toInstant();
      Instant at = from.plus(Duration.between(from, to).multipliedBy(2).dividedBy(3));
      Duration d = Duration.between(now, at);
      return d.compareTo(Duration.ofMinutes(1)) < 0 ? Duration.ofMinutes(1) : d;
    } catch (Exception e) {
      return Duration.ofHours(1);
    }
  }

  /** The PKCS#10 request a kubelet sends for its serving certificate. */
  static String csrPem(KeyPair kp, String nodeName, String ip) throws Exception {
    ExtensionsGenerator ext = new ExtensionsGenerator();
    GeneralName[] names =
        ip == null || ip.isBlank()
            ? new GeneralName[] {new GeneralName(GeneralName.dNSName, nodeName)}
            : new GeneralName[] {
              new GeneralName(GeneralName.dNSName, nodeName),
              new GeneralName(GeneralName.iPAddress, ip)
            };
    ext.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
    PKCS10CertificationRequest req =
        new JcaPKCS10CertificationRequestBuilder(
                new X500Name("O=system:nodes,CN=system:node:" + nodeName), kp.getPublic())
            .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate())
            .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate()));
    return SelfSignedCertificate.pem(req);
  }

  @Override
  public void close() {
    if (files != null) {
      files.close();
    }
    scheduler.shutdownNow();
  }
}
