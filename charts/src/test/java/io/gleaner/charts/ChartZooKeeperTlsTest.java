package io.gleaner.charts;

import static io.gleaner.charts.RenderedChart.GLEANER;
import static io.gleaner.charts.RenderedChart.render;
import static io.gleaner.charts.RenderedChart.values;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.zookeeper.util.PemReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS to ZooKeeper in the chart: the bundled ensemble serves a secure client port with a
 * certificate of grpcTls's CA, in a key ZooKeeper itself reads (checked with ZooKeeper's own PEM
 * reader), and every service connects to it and verifies it; or an existing ensemble's CA from a
 * Secret; or plaintext.
 */
class ChartZooKeeperTlsTest {
  private static final String PREFIX = "glean-gleaner-";
  private static final String ZK = PREFIX + "zookeeper";
  private static final List<String> SERVICES =
      List.of("broker", "idle-detector", "virtual-kubelet", "descheduler");

  @TempDir Path dir;

  private static Container zookeeper(RenderedChart chart) {
    return chart
        .get(StatefulSet.class, ZK)
        .getSpec()
        .getTemplate()
        .getSpec()
        .getContainers()
        .get(0);
  }

  private static String env(Container c, String name) {
    return c.getEnv().stream()
        .filter(e -> e.getName().equals(name))
        .map(EnvVar::getValue)
        .findFirst()
        .orElseThrow();
  }

  private static List<Integer> containerPorts(RenderedChart chart) {
    return zookeeper(chart).getPorts().stream().map(ContainerPort::getContainerPort).toList();
  }

  private static List<Integer> servicePorts(RenderedChart chart, String name) {
    return chart.get(Service.class, name).getSpec().getPorts().stream()
        .map(ServicePort::getPort)
        .toList();
  }

  private static List<String> args(RenderedChart chart, String service) {
    return chart
        .get(Deployment.class, PREFIX + service)
        .getSpec()
        .getTemplate()
        .getSpec()
        .getContainers()
        .get(0)
        .getArgs();
  }

  private static String decoded(Secret s, String key) {
    return new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.US_ASCII);
  }

  @Test
  void theBundledEnsembleServesTlsWithACertificateOfTheReleaseCaThatZooKeeperReads()
      throws Exception {
    RenderedChart chart = render(GLEANER);
    Secret secret = chart.get(Secret.class, ZK + "-grpc-tls");
    CertificateFactory x509 = CertificateFactory.getInstance("X.509");
    X509Certificate ca =
        (X509Certificate)
            x509.generateCertificate(
                new ByteArrayInputStream(
                    decoded(secret, "ca.crt").getBytes(StandardCharsets.US_ASCII)));
    X509Certificate cert =
        (X509Certificate)
            x509.generateCertificate(
                new ByteArrayInputStream(
                    decoded(secret, "tls.crt").getBytes(StandardCharsets.US_ASCII)));
    cert.verify(ca.getPublicKey());
    assertThat(decoded(chart.get(Secret.class, PREFIX + "broker-grpc-tls"), "ca.crt"))
        .isEqualTo(decoded(secret, "ca.crt"));
    List<String> names = new ArrayList<>();
    for (List<?> san : cert.getSubjectAlternativeNames()) {
      names.add(String.valueOf(san.get(1)));
    }
    assertThat(names)
        .contains(
            ZK + ".gleaner-system.svc",
            ZK + ".gleaner-system.svc.cluster.local",
            "*." + ZK + "-headless.gleaner-system.svc");

    // the key store the start script writes (key, then certificate), read by ZooKeeper's reader
    assertThat(decoded(secret, "tls.key")).startsWith("-----BEGIN PRIVATE KEY-----");
    Path keyStore =
        Files.writeString(
            dir.resolve("keystore.pem"), decoded(secret, "tls.key") + decoded(secret, "tls.crt"));
    KeyStore store = PemReader.loadKeyStore(keyStore.toFile(), keyStore.toFile(), Optional.empty());
    PrivateKey key = (PrivateKey) store.getKey("key", new char[0]);
    Signature sign = Signature.getInstance("SHA256withECDSA");
    sign.initSign(key);
    sign.update(new byte[] {1, 2, 3});
    byte[] signature = sign.sign();
    Signature verify = Signature.getInstance("SHA256withECDSA");
    verify.initVerify(cert.getPublicKey());
    verify.update(new byte[] {1, 2, 3});
    assertThat(verify.verify(signature)).as("the PKCS#8 key is the certificate's").isTrue();

    Container zk = zookeeper(chart);
    assertThat(env(zk, "ZOO_CFG_EXTRA"))
        .contains(
            "secureClientPort=2281",
            "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
            "ssl.keyStore.location=/tmp/zookeeper-tls/keystore.pem",
            "ssl.keyStore.type=PEM",
            "ssl.clientAuth=none");
    assertThat(String.join("\n", zk.getCommand()))
        .contains(
            "cat /etc/zookeeper-tls/tls.key /etc/zookeeper-tls/tls.crt >"
                + " /tmp/zookeeper-tls/keystore.pem");
    assertThat(zk.getVolumeMounts())
        .anyMatch(m -> m.getName().equals("tls") && m.getMountPath().equals("/etc/zookeeper-tls"));
    assertThat(chart.get(StatefulSet.class, ZK).getSpec().getTemplate().getSpec().getVolumes())
        .anyMatch(
            v ->
                v.getName().equals("tls")
                    && v.getSecret().getSecretName().equals(ZK + "-grpc-tls"));
    assertThat(containerPorts(chart)).contains(2181, 2281);
    assertThat(servicePorts(chart, ZK)).containsExactly(2181, 2281);
    assertThat(env(zk, "ZOO_SERVERS")).contains(":2888:3888;2181");

    for (String service : SERVICES) {
      assertThat(args(chart, service))
          .as(service)
          .contains(
              "--zk-connect=" + ZK + ".gleaner-system.svc:2281",
              "--set=zk.tls.caFile=/etc/gleaner/grpc-tls/ca.crt");
    }
  }

  @Test
  void secureOnlyServesNoPlaintextPort() {
    RenderedChart chart = render(GLEANER, values("zookeeper.bundled.tls.secureOnly", true));
    assertThat(containerPorts(chart)).doesNotContain(2181).contains(2281);
    assertThat(servicePorts(chart, ZK)).containsExactly(2281);
    assertThat(servicePorts(chart, ZK + "-headless")).doesNotContain(2181).contains(2281);
    assertThat(env(zookeeper(chart), "ZOO_SERVERS")).doesNotContain(";2181");
    assertThat(zookeeper(chart).getReadinessProbe().getTcpSocket().getPort().getStrVal())
        .isEqualTo("client-tls");
    assertThat(
            chart
                .get(io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class, ZK)
                .getSpec()
                .getIngress()
                .get(0)
                .getPorts())
        .extracting(p -> p.getPort().getIntVal())
        .containsExactly(2281);
  }

  @Test
  void withoutTlsTheBundledEnsembleIsPlaintextAsBefore() {
    RenderedChart chart = render(GLEANER, values("zookeeper.bundled.tls.enabled", false));
    assertThat(chart.has("Secret", ZK + "-grpc-tls")).isFalse();
    assertThat(containerPorts(chart)).doesNotContain(2281);
    assertThat(env(zookeeper(chart), "ZOO_CFG_EXTRA")).isEqualTo("quorumListenOnAllIPs=true");
    for (String service : SERVICES) {
      assertThat(args(chart, service))
          .contains("--zk-connect=" + ZK + ".gleaner-system.svc:2181")
          .noneMatch(a -> a.contains("zk.tls"));
    }
  }

  @Test
  void withoutGrpcTlsTheBundledEnsembleHasNoCaAndStaysPlaintext() {
    RenderedChart chart = render(GLEANER, values("grpcTls.enabled", false));
    assertThat(containerPorts(chart)).doesNotContain(2281);
    for (String service : SERVICES) {
      assertThat(args(chart, service))
          .contains("--zk-connect=" + ZK + ".gleaner-system.svc:2181")
          .noneMatch(a -> a.contains("zk.tls"));
    }
  }

  @Test
  void anExistingEnsembleIsVerifiedAgainstTheCaOfItsSecret() {
    RenderedChart plain = render(GLEANER, values("zookeeper.connect", "zk-0.zk:2281"));
    for (String service : SERVICES) {
      assertThat(args(plain, service)).as(service).noneMatch(a -> a.contains("zk.tls"));
    }
    RenderedChart chart =
        render(
            GLEANER,
            values(
                "zookeeper.connect", "zk-0.zk:2281,zk-1.zk:2281",
                "zookeeper.tls.caSecret", "platform-zk-ca",
                "zookeeper.tls.caKey", "root.pem"));
    assertThat(chart.has("Secret", ZK + "-grpc-tls")).isFalse();
    for (String service : SERVICES) {
      assertThat(args(chart, service))
          .as(service)
          .contains("--set=zk.tls.caFile=/etc/gleaner/zookeeper-tls/ca.crt");
      var pod = chart.get(Deployment.class, PREFIX + service).getSpec().getTemplate().getSpec();
      assertThat(pod.getVolumes())
          .anySatisfy(
              v -> {
                assertThat(v.getName()).isEqualTo("zookeeper-tls");
                assertThat(v.getSecret().getSecretName()).isEqualTo("platform-zk-ca");
                assertThat(v.getSecret().getItems().get(0).getKey()).isEqualTo("root.pem");
                assertThat(v.getSecret().getItems().get(0).getPath()).isEqualTo("ca.crt");
              });
      assertThat(pod.getContainers().get(0).getVolumeMounts())
          .anyMatch(m -> m.getMountPath().equals("/etc/gleaner/zookeeper-tls"));
    }
  }

  @Test
  void certManagerIssuesTheZooKeeperCertificateInPkcs8() {
    RenderedChart chart = render(GLEANER, values("grpcTls.certManager.enabled", true));
    Map<String, Object> spec = ChartGrpcTlsTest.spec(chart, ZK + "-grpc-tls");
    assertThat(spec).containsEntry("commonName", "zookeeper");
    assertThat(String.valueOf(spec.get("privateKey"))).contains("encoding=PKCS8");
    assertThat(String.valueOf(spec.get("dnsNames"))).contains(ZK + ".gleaner-system.svc");
  }
}
