package io.gleaner.charts;

import static io.gleaner.charts.RenderedChart.GLEANER;
import static io.gleaner.charts.RenderedChart.render;
import static io.gleaner.charts.RenderedChart.values;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.gleaner.meta.config.CommonOptions;
import io.gleaner.meta.config.GleanerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The contract between the chart and the services: every rendered config file, with the rendered
 * flags, is accepted by the services' own config loader ({@link GleanerConfig}) and means what the
 * values said.
 */
class ConfigContractTest {

  private static final String PREFIX = "glean-gleaner-";
  private static final List<String> SERVICES =
      List.of("broker", "idle-detector", "virtual-kubelet", "descheduler");

  @TempDir Path dir;

  /**
   * Loads the config the given service's container would load, from its rendered args and
   * ConfigMap.
   */
  private GleanerConfig load(RenderedChart chart, String service) throws IOException {
    String yaml = chart.get(ConfigMap.class, PREFIX + service).getData().get("config.yaml");
    Path file = Files.writeString(dir.resolve(service + ".yaml"), yaml);
    Container container =
        chart
            .get(Deployment.class, PREFIX + service)
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    List<String> args = container.getArgs();
    assertThat(args.get(0)).isEqualTo(service);
    List<String> flags = new ArrayList<>();
    for (String arg : args.subList(1, args.size())) {
      flags.add(arg.equals("--config=/etc/gleaner/config.yaml") ? "--config=" + file : arg);
    }
    CommonOptions options = new CommonOptions();
    new CommandLine(options).parseArgs(flags.toArray(String[]::new));
    return GleanerConfig.load(options);
  }

  @Test
  void defaultsLoadInEveryService() throws IOException {
    RenderedChart chart = render(GLEANER);
    for (String service : SERVICES) {
      GleanerConfig config = load(chart, service);
      assertThat(config.instance()).as(service).isEqualTo("glean");
      // the bundled ensemble's secure port, verified against the release's CA
      // (ChartZooKeeperTlsTest)
      assertThat(config.zk().connect())
          .isEqualTo("glean-gleaner-zookeeper.gleaner-system.svc:2281");
      assertThat(config.zk().tls().caFile()).isEqualTo("/etc/gleaner/grpc-tls/ca.crt");
      assertThat(config.zk().namespace()).isEqualTo("gleaner");
      // authenticated with the mounted credentials (ChartZooKeeperAuthTest)
      assertThat(config.zk().authFile()).isEqualTo("/etc/gleaner/zookeeper-auth/auth");
      assertThat(config.leaderElection().enabled()).isTrue();
      assertThat(config.metrics().bindAddress().port()).isEqualTo(8080);
      if (!service.equals("broker")) {
        assertThat(config.brokerAddress().host())
            .isEqualTo("glean-gleaner-broker.gleaner-system.svc");
        assertThat(config.brokerAddress().port()).isEqualTo(9090);
      }
    }
    assertThat(load(chart, "broker").broker().grpc().port()).isEqualTo(9090);
    assertThat(load(chart, "virtual-kubelet").virtualKubelet().nodeName()).isEqualTo("gleaner");
    assertThat(load(chart, "virtual-kubelet").virtualKubelet().kubeletPort()).isEqualTo(10250);
    // the kubelet API verifies kube-apiserver's client certificate against the cluster CA
    assertThat(load(chart, "virtual-kubelet").virtualKubelet().clientCAFile())
        .isEqualTo("/etc/gleaner/client-ca/ca.crt");
    assertThat(load(chart, "virtual-kubelet").virtualKubelet().anonymousAuth()).isFalse();
  }

  @Test
  void everyServiceLoadsItsGrpcCertificatesAndTheClientsDialANameOfTheBrokers() throws IOException {
    RenderedChart chart = render(GLEANER);
    String dir = "/etc/gleaner/grpc-tls/";
    var broker = load(chart, "broker").broker().grpc().tls();
    assertThat(broker.mutual()).isTrue();
    assertThat(broker.clientCaFile()).isEqualTo(dir + "ca.crt");
    for (String client : List.of("idle-detector", "virtual-kubelet", "descheduler")) {
      GleanerConfig c = load(chart, client);
      assertThat(c.brokerTls().caFile()).as(client).isEqualTo(dir + "ca.crt");
      assertThat(c.brokerTls().certFile()).as(client).isEqualTo(dir + "tls.crt");
      // the name the client verifies is one the broker's certificate holds (ChartGrpcTlsTest)
      assertThat(c.brokerAddress().host()).isEqualTo(PREFIX + "broker.gleaner-system.svc");
    }
    var hooks = load(chart, "descheduler").descheduler().hooks().server();
    assertThat(hooks.tls().mutual()).isTrue();
    assertThat(hooks.subscribers()).containsExactly("reader");
    assertThat(hooks.maxWatchersPerIdentity()).isEqualTo(16);
    // a TLS section of the service's own config wins over the chart's
    RenderedChart own =
        render(
            GLEANER,
            values(
                "broker.config.grpc.tls.certFile",
                "/pki/b.crt",
                "broker.config.grpc.tls.keyFile",
                "/pki/b.key"));
    assertThat(load(own, "broker").broker().grpc().tls().certFile()).isEqualTo("/pki/b.crt");
    assertThat(load(own, "broker").broker().grpc().tls().clientCaFile()).isNull();
  }

  @Test
  void aClientCaFileOfTheConfigWinsAndNoConfigMapMeansTokensOnly() throws IOException {
    RenderedChart own =
        render(GLEANER, values("virtualKubelet.config.clientCAFile", "/etc/pki/apiserver-ca.crt"));
    assertThat(load(own, "virtual-kubelet").virtualKubelet().clientCAFile())
        .isEqualTo("/etc/pki/apiserver-ca.crt");
    RenderedChart none = render(GLEANER, values("virtualKubelet.clientCA.configMap", ""));
    assertThat(load(none, "virtual-kubelet").virtualKubelet().clientCAFile()).isNull();
  }

  @Test
  void valuesReachTheServices() throws IOException {
    Map<String, Object> values =
        values(
            "zookeeper.connect", "zk-0.zk:2181,zk-1.zk:2181",
            "zookeeper.namespace", "gleaner/prod",
            "zookeeper.config.connectionTimeout", "30s",
            "leaderElection.leaseDuration", "20s",
            "instance", "prod-eu",
            "broker.grpcPort", 9443,
            "broker.httpPort", 8081,
            "broker.config.offerTtl", "2m",
            "virtualKubelet.nodeName", "gleaner-eu",
            "virtualKubelet.config.namespaceMapping.mode", "PREFIX",
            "virtualKubelet.config.namespaceMapping.prefix", "team-",
            "descheduler.config.decisionWindow", "500ms",
            "descheduler.leaderElection.enabled", false);
    RenderedChart chart = render(GLEANER, values);

    GleanerConfig broker = load(chart, "broker");
    assertThat(broker.instance()).isEqualTo("prod-eu");
    assertThat(broker.zk().connect()).isEqualTo("zk-0.zk:2181,zk-1.zk:2181");
    assertThat(broker.zk().namespace()).isEqualTo("gleaner/prod");
    assertThat(broker.zk().connectionTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(broker.leaderElection().leaseDuration()).isEqualTo(Duration.ofSeconds(20));
    assertThat(broker.broker().grpc().port()).isEqualTo(9443);
    assertThat(broker.broker().offerTtl()).isEqualTo(Duration.ofMinutes(2));
    assertThat(broker.metrics().bindAddress().port()).isEqualTo(8081);

    GleanerConfig vk = load(chart, "virtual-kubelet");
    assertThat(vk.brokerAddress().port()).isEqualTo(9443);
    assertThat(vk.virtualKubelet().nodeName()).isEqualTo("gleaner-eu");
    assertThat(vk.virtualKubelet().namespaceMapping().memberNamespace("ml")).isEqualTo("team-ml");
    // the broker looks for member ResourceQuotas where the virtual-kubelet puts the pods
    assertThat(broker.virtualKubelet().namespaceMapping().memberNamespace("ml"))
        .isEqualTo("team-ml");

    GleanerConfig descheduler = load(chart, "descheduler");
    assertThat(descheduler.descheduler().decisionWindow()).isEqualTo(Duration.ofMillis(500));
    assertThat(descheduler.leaderElection().enabled()).isFalse();
  }
}
