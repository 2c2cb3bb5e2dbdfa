package io.gleaner.charts;

import static io.gleaner.charts.RenderedChart.GLEANER;
import static io.gleaner.charts.RenderedChart.render;
import static io.gleaner.charts.RenderedChart.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The chart's mutual TLS for the gRPC APIs (grpcTls): certificates, mounts and flags. */
class ChartGrpcTlsTest {
  static final String PREFIX = "glean-gleaner-";
  static final List<String> SERVICES =
      List.of("broker", "idle-detector", "virtual-kubelet", "descheduler");

  static X509Certificate cert(Secret s, String key) throws Exception {
    byte[] pem = Base64.getDecoder().decode(s.getData().get(key));
    return (X509Certificate)
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(pem));
  }

  static List<String> sans(X509Certificate c) throws Exception {
    List<String> out = new ArrayList<>();
    for (List<?> san :
        c.getSubjectAlternativeNames() == null
            ? List.<List<?>>of()
            : c.getSubjectAlternativeNames()) {
      out.add(String.valueOf(san.get(1)));
    }
    return out;
  }

  static Container container(RenderedChart chart, String service) {
    return pod(chart, service).getContainers().get(0);
  }

  static PodSpec pod(RenderedChart chart, String service) {
    return chart.get(Deployment.class, PREFIX + service).getSpec().getTemplate().getSpec();
  }

  @Nested
  class GeneratedByTheChart {
    final RenderedChart chart = render(GLEANER);

    @Test
    void eachIdentityHasACertificateOfTheReleaseCaNamedByItsCn() throws Exception {
      X509Certificate ca = cert(chart.get(Secret.class, PREFIX + "grpc-ca"), "tls.crt");
      assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
      for (String id :
          List.of("broker", "idle-detector", "virtual-kubelet", "descheduler", "reader")) {
        Secret s = chart.get(Secret.class, PREFIX + id + "-grpc-tls");
        assertThat(s.getType()).isEqualTo("kubernetes.io/tls");
        assertThat(s.getData()).containsKeys("tls.crt", "tls.key", "ca.crt");
        X509Certificate c = cert(s, "tls.crt");
        c.verify(ca.getPublicKey());
        assertThat(cert(s, "ca.crt")).isEqualTo(ca);
        assertThat(c.getSubjectX500Principal().getName()).isEqualTo("CN=" + id);
        assertThat(c.getExtendedKeyUsage())
            .contains("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"); // server and client auth
        assertThat(
                new String(
                    Base64.getDecoder().decode(s.getData().get("tls.key")),
                    StandardCharsets.US_ASCII))
            .contains("PRIVATE KEY-----");
      }
    }

    @Test
    void servingNamesCoverTheServiceNamesClientsDialAndPortForward() throws Exception {
      for (String service : SERVICES) {
        X509Certificate c =
            cert(chart.get(Secret.class, PREFIX + service + "-grpc-tls"), "tls.crt");
        String svc = PREFIX + service;
        assertThat(sans(c))
            .contains(
                svc,
                svc + ".gleaner-system",
                svc + ".gleaner-system.svc",
                svc + ".gleaner-system.svc.cluster.local",
                "localhost",
                "127.0.0.1");
      }
      assertThat(sans(cert(chart.get(Secret.class, PREFIX + "reader-grpc-tls"), "tls.crt")))
          .isEmpty();
    }

    @Test
    void everyServiceMountsItsOwnSecretAndPointsItsFlagsAtIt() {
      for (String service : SERVICES) {
        PodSpec pod = pod(chart, service);
        Volume v =
            pod.getVolumes().stream()
                .filter(x -> x.getName().equals("grpc-tls"))
                .findFirst()
                .orElseThrow();
        assertThat(v.getSecret().getSecretName()).isEqualTo(PREFIX + service + "-grpc-tls");
        assertThat(pod.getContainers().get(0).getVolumeMounts())
            .anyMatch(
                m ->
                    m.getName().equals("grpc-tls")
                        && m.getMountPath().equals("/etc/gleaner/grpc-tls")
                        && m.getReadOnly());
      }
      assertThat(container(chart, "broker").getArgs())
          .contains(
              "--set=broker.grpc.tls.certFile=/etc/gleaner/grpc-tls/tls.crt",
              "--set=broker.grpc.tls.keyFile=/etc/gleaner/grpc-tls/tls.key",
              "--set=broker.grpc.tls.clientCaFile=/etc/gleaner/grpc-tls/ca.crt")
          .noneMatch(a -> a.startsWith("--set=brokerTls."));
      for (String client : List.of("idle-detector", "virtual-kubelet", "descheduler")) {
        assertThat(container(chart, client).getArgs())
            .contains(
                "--set=brokerTls.caFile=/etc/gleaner/grpc-tls/ca.crt",
                "--set=brokerTls.certFile=/etc/gleaner/grpc-tls/tls.crt",
                "--set=brokerTls.keyFile=/etc/gleaner/grpc-tls/tls.key");
      }
      assertThat(container(chart, "descheduler").getArgs())
          .contains(
              "--set=descheduler.hooks.server.tls.certFile=/etc/gleaner/grpc-tls/tls.crt",
              "--set=descheduler.hooks.server.tls.clientCaFile=/etc/gleaner/grpc-tls/ca.crt");
    }

    @Test
    void noCertManagerObjects() {
      assertThat(chart.ofKind("Certificate")).isEmpty();
      assertThat(chart.ofKind("Issuer")).isEmpty();
    }
  }

  @Test
  void offMeansNoSecretsMountsOrFlags() {
    RenderedChart chart = render(GLEANER, values("grpcTls.enabled", false));
    assertThat(chart.all(Secret.class)).noneMatch(s -> s.getMetadata().getName().contains("grpc"));
    for (String service : SERVICES) {
      assertThat(pod(chart, service).getVolumes()).noneMatch(v -> v.getName().equals("grpc-tls"));
      assertThat(container(chart, service).getArgs()).noneMatch(a -> a.contains("grpc-tls"));
    }
  }

  @Test
  void certManagerIssuesOneCertificatePerIdentityIntoTheMountedSecrets() {
    RenderedChart chart = render(GLEANER, values("grpcTls.certManager.enabled", true));
    assertThat(chart.all(Secret.class)).noneMatch(s -> s.getMetadata().getName().contains("grpc"));
    assertThat(chart.ofKind("Issuer"))
        .extracting(o -> o.getMetadata().getName())
        .containsExactlyInAnyOrder(PREFIX + "grpc-selfsigned", PREFIX + "grpc-ca");
    for (String id :
        List.of("broker", "idle-detector", "virtual-kubelet", "descheduler", "reader")) {
      Map<String, Object> spec = spec(chart, PREFIX + id + "-grpc-tls");
      assertThat(spec)
          .containsEntry("secretName", PREFIX + id + "-grpc-tls")
          .containsEntry("commonName", id)
          .containsEntry(
              "usages",
              List.of("digital signature", "key encipherment", "server auth", "client auth"))
          .containsEntry(
              "issuerRef",
              Map.of("name", PREFIX + "grpc-ca", "kind", "Issuer", "group", "cert-manager.io"));
      assertThat(spec.get("privateKey")).asString().contains("encoding=PKCS8");
    }
    assertThat(spec(chart, PREFIX + "broker-grpc-tls").get("dnsNames"))
        .asList()
        .contains(PREFIX + "broker.gleaner-system.svc", "localhost");
    assertThat(spec(chart, PREFIX + "grpc-ca")).containsEntry("isCA", true);
  }

  @Test
  void anIssuerOfTheUserReplacesTheReleaseCa() {
    RenderedChart chart =
        render(
            GLEANER,
            values(
                "grpcTls.certManager.enabled", true,
                "grpcTls.certManager.issuerRef.name", "platform-ca",
                "grpcTls.certManager.issuerRef.kind", "ClusterIssuer"));
    assertThat(chart.ofKind("Issuer")).isEmpty();
    assertThat(spec(chart, PREFIX + "broker-grpc-tls"))
        .containsEntry(
            "issuerRef",
            Map.of("name", "platform-ca", "kind", "ClusterIssuer", "group", "cert-manager.io"));
  }

  @Test
  void aClientNamedLikeAServiceIsRefused() {
    assertThatThrownBy(() -> render(GLEANER, values("grpcTls.clients[0]", "descheduler")))
        .hasMessageContaining("grpcTls.clients: \"descheduler\" is a service's identity");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> spec(RenderedChart chart, String certificate) {
    return chart.ofKind("Certificate").stream()
        .filter(o -> o.getMetadata().getName().equals(certificate))
        .map(
            o ->
                (Map<String, Object>)
                    ((GenericKubernetesResource) o).getAdditionalProperties().get("spec"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no Certificate " + certificate));
  }
}
