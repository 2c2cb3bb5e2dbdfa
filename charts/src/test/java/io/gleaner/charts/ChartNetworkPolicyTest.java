package io.gleaner.charts;

import static io.gleaner.charts.RenderedChart.GLEANER;
import static io.gleaner.charts.RenderedChart.NAMESPACE;
import static io.gleaner.charts.RenderedChart.render;
import static io.gleaner.charts.RenderedChart.values;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.gleaner.charts.NetworkPolicies.Endpoint;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The gleaner chart's NetworkPolicies, evaluated as a CNI enforces them: who may open which port of
 * which of the release's pods.
 */
class ChartNetworkPolicyTest {

  private static final String PREFIX = "glean-gleaner-";
  private static final List<String> SERVICES =
      List.of("broker", "idle-detector", "virtual-kubelet", "descheduler");
  private static final int GRPC = 9090;
  private static final int HTTP = 8080;
  private static final int HOOKS = 9091;
  private static final int KUBELET = 10250;
  private static final int ZK_CLIENT = 2181;
  private static final int ZK_TLS = 2281;

  private static final Endpoint TENANT = Endpoint.pod("team-a", Map.of("app", "batch"));
  private static final Endpoint NEIGHBOUR_IN_NAMESPACE =
      Endpoint.pod(NAMESPACE, Map.of("app", "x"));
  private static final Endpoint PROMETHEUS =
      Endpoint.pod("monitoring", Map.of("app.kubernetes.io/name", "prometheus"));
  private static final Endpoint OUTSIDE = Endpoint.external();

  /** The pod of one component as the chart renders it (labels of its pod template). */
  private static Endpoint pod(RenderedChart chart, String component) {
    Map<String, String> labels =
        component.equals("zookeeper")
            ? chart
                .get(StatefulSet.class, PREFIX + component)
                .getSpec()
                .getTemplate()
                .getMetadata()
                .getLabels()
            : chart
                .get(Deployment.class, PREFIX + component)
                .getSpec()
                .getTemplate()
                .getMetadata()
                .getLabels();
    return Endpoint.pod(NAMESPACE, labels);
  }

  /** A pod that claims a component's labels but belongs to another release. */
  private static Endpoint impostor(RenderedChart chart, String component) {
    Map<String, String> labels = new HashMap<>(pod(chart, component).labels());
    labels.put("app.kubernetes.io/instance", "other");
    return Endpoint.pod(NAMESPACE, labels);
  }

  private static NetworkPolicies policies(RenderedChart chart) {
    return new NetworkPolicies(chart.all(NetworkPolicy.class));
  }

  @Nested
  class Defaults {
    private final RenderedChart chart = render(GLEANER);
    private final NetworkPolicies net = policies(chart);
    private final Endpoint broker = pod(chart, "broker");
    private final Endpoint descheduler = pod(chart, "descheduler");
    private final Endpoint zookeeper = pod(chart, "zookeeper");

    @Test
    void brokerGrpcIsReachableOnlyFromGleanersOwnServices() {
      for (String client : List.of("idle-detector", "virtual-kubelet", "descheduler")) {
        assertThat(net.allows(pod(chart, client), broker, GRPC)).as(client).isTrue();
      }
      for (Endpoint stranger :
          List.of(
              TENANT,
              NEIGHBOUR_IN_NAMESPACE,
              PROMETHEUS,
              OUTSIDE,
              impostor(chart, "virtual-kubelet"),
              // Gleaner's services of the same name in another namespace are another installation
              Endpoint.pod("team-a", pod(chart, "virtual-kubelet").labels()))) {
        assertThat(net.allows(stranger, broker, GRPC)).as("%s", stranger).isFalse();
      }
    }

    @Test
    void reclaimHooksAreClosedUntilTheOperatorListsTheirSubscribers() {
      for (Endpoint anyone :
          List.of(TENANT, PROMETHEUS, OUTSIDE, pod(chart, "broker"), NEIGHBOUR_IN_NAMESPACE)) {
        assertThat(net.allows(anyone, descheduler, HOOKS)).as("%s", anyone).isFalse();
      }
    }

    @Test
    void metricsPortsOnlyFromTheMonitoringNamespace() {
      for (String service : SERVICES) {
        assertThat(net.allows(PROMETHEUS, pod(chart, service), HTTP)).as(service).isTrue();
        assertThat(net.allows(TENANT, pod(chart, service), HTTP)).as(service).isFalse();
        assertThat(net.allows(NEIGHBOUR_IN_NAMESPACE, pod(chart, service), HTTP))
            .as(service)
            .isFalse();
      }
      // the monitoring namespace reaches the metrics port, nothing else
      assertThat(net.allows(PROMETHEUS, broker, GRPC)).isFalse();
      assertThat(net.allows(PROMETHEUS, descheduler, HOOKS)).isFalse();
      assertThat(net.allows(PROMETHEUS, zookeeper, ZK_CLIENT)).isFalse();
    }

    @Test
    void zooKeeperClientPortOnlyFromGleanerServicesAndQuorumPortsOnlyFromItsPeers() {
      for (String service : SERVICES) {
        assertThat(net.allows(pod(chart, service), zookeeper, ZK_CLIENT)).as(service).isTrue();
        assertThat(net.allows(pod(chart, service), zookeeper, ZK_TLS)).as(service).isTrue();
        assertThat(net.allows(pod(chart, service), zookeeper, 2888)).as(service).isFalse();
      }
      for (Endpoint stranger :
          List.of(TENANT, NEIGHBOUR_IN_NAMESPACE, OUTSIDE, impostor(chart, "broker"))) {
        assertThat(net.allows(stranger, zookeeper, ZK_CLIENT)).as("%s", stranger).isFalse();
        assertThat(net.allows(stranger, zookeeper, ZK_TLS)).as("%s", stranger).isFalse();
      }
      assertThat(net.allows(zookeeper, zookeeper, 2888)).isTrue();
      assertThat(net.allows(zookeeper, zookeeper, 3888)).isTrue();
    }

    @Test
    void theKubeletApiStaysReachableForTheApiServerWhichAuthenticatesEveryCall() {
      // kube-apiserver's address differs per cluster (host network, outside the pod network)
      Endpoint vk = pod(chart, "virtual-kubelet");
      assertThat(net.allows(OUTSIDE, vk, KUBELET)).isTrue();
      assertThat(net.allows(TENANT, vk, KUBELET)).isTrue();
    }

    @Test
    void everythingElseToTheReleasesPodsIsDenied() {
      Endpoint vk = pod(chart, "virtual-kubelet");
      assertThat(net.allows(vk, broker, 5005)).isFalse();
      assertThat(net.allows(vk, broker, HTTP)).isFalse();
      assertThat(net.allows(broker, vk, HTTP)).isFalse();
      assertThat(net.allows(TENANT, zookeeper, 8080)).isFalse();
      assertThat(net.allows(broker, descheduler, HOOKS)).isFalse();
    }

    @Test
    void otherPodsInTheNamespaceAreLeftAlone() {
      assertThat(net.allows(TENANT, NEIGHBOUR_IN_NAMESPACE, 80)).isTrue();
      assertThat(net.allows(TENANT, impostor(chart, "broker"), GRPC)).isTrue();
    }

    @Test
    void policiesLiveInTheReleaseNamespaceAndCarryTheChartsLabels() {
      assertThat(chart.all(NetworkPolicy.class))
          .isNotEmpty()
          .allSatisfy(
              p -> {
                assertThat(p.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
                assertThat(p.getMetadata().getName()).startsWith(PREFIX);
                assertThat(p.getMetadata().getLabels())
                    .containsEntry("app.kubernetes.io/instance", "glean");
                assertThat(p.getSpec().getPolicyTypes()).containsExactly("Ingress");
              });
    }
  }

  @Nested
  class Values {

    @Test
    void offRendersNoPolicy() {
      assertThat(render(GLEANER, values("networkPolicy.enabled", false)).all(NetworkPolicy.class))
          .isEmpty();
      assertThat(render(GLEANER).all(NetworkPolicy.class)).isNotEmpty();
    }

    @Test
    void reclaimHookSubscribersAreListedByNamespaceAndPod() {
      RenderedChart chart =
          render(
              GLEANER,
              values(
                  "networkPolicy.reclaimHooks.from[0].namespaceSelector.matchLabels.team",
                  "pager",
                  "networkPolicy.reclaimHooks.from[0].podSelector.matchLabels.app",
                  "relay"));
      NetworkPolicies net = policies(chart);
      Endpoint descheduler = pod(chart, "descheduler");
      Endpoint relay = Endpoint.pod("pager", Map.of("app", "relay"));
      assertThat(net.allows(relay.withNamespaceLabels(Map.of("team", "pager")), descheduler, HOOKS))
          .isTrue();
      // the right pod in a namespace without the label, or another pod in the right namespace
      assertThat(net.allows(relay, descheduler, HOOKS)).isFalse();
      assertThat(
              net.allows(
                  Endpoint.pod("pager", Map.of("app", "other"))
                      .withNamespaceLabels(Map.of("team", "pager")),
                  descheduler,
                  HOOKS))
          .isFalse();
      assertThat(net.allows(relay.withNamespaceLabels(Map.of("team", "pager")), descheduler, HTTP))
          .isFalse();
    }

    @Test
    void theMonitoringSelectorIsConfigurable() {
      RenderedChart chart =
          render(
              GLEANER,
              values(
                  "networkPolicy.metrics.namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name",
                  "observability",
                  "networkPolicy.metrics.podSelector.matchLabels.app",
                  "prometheus"));
      NetworkPolicies net = policies(chart);
      Endpoint scraper = Endpoint.pod("observability", Map.of("app", "prometheus"));
      for (String service : SERVICES) {
        assertThat(net.allows(scraper, pod(chart, service), HTTP)).as(service).isTrue();
        assertThat(net.allows(PROMETHEUS, pod(chart, service), HTTP)).as(service).isFalse();
        assertThat(
                net.allows(
                    Endpoint.pod("observability", Map.of("app", "grafana")),
                    pod(chart, service),
                    HTTP))
            .as(service)
            .isFalse();
      }
    }

    @Test
    void extraBrokerClientsDashboardViewersAndZooKeeperClients() {
      RenderedChart chart =
          render(
              GLEANER,
              values(
                  "networkPolicy.broker.extraFrom[0].podSelector.matchLabels.app",
                  "capacity-reader",
                  "networkPolicy.dashboard.from[0].namespaceSelector.matchLabels.team",
                  "platform",
                  "networkPolicy.zookeeper.extraFrom[0].podSelector.matchLabels.app",
                  "zk-admin"));
      NetworkPolicies net = policies(chart);
      Endpoint reader = Endpoint.pod(NAMESPACE, Map.of("app", "capacity-reader"));
      Endpoint platform =
          Endpoint.pod("platform", Map.of()).withNamespaceLabels(Map.of("team", "platform"));
      Endpoint admin = Endpoint.pod(NAMESPACE, Map.of("app", "zk-admin"));
      assertThat(net.allows(reader, pod(chart, "broker"), GRPC)).isTrue();
      assertThat(net.allows(reader, pod(chart, "broker"), HTTP)).isFalse();
      assertThat(net.allows(platform, pod(chart, "broker"), HTTP)).isTrue();
      assertThat(net.allows(platform, pod(chart, "broker"), GRPC)).isFalse();
      assertThat(net.allows(platform, pod(chart, "idle-detector"), HTTP)).isFalse();
      assertThat(net.allows(admin, pod(chart, "zookeeper"), ZK_CLIENT)).isTrue();
      assertThat(net.allows(admin, pod(chart, "broker"), GRPC)).isFalse();
    }

    @Test
    void theKubeletApiCanBeNarrowedToTheApiServersAddresses() {
      RenderedChart chart =
          render(GLEANER, values("networkPolicy.kubeletApi.from[0].ipBlock.cidr", "10.0.0.0/24"));
      NetworkPolicies net = policies(chart);
      Endpoint vk = pod(chart, "virtual-kubelet");
      assertThat(net.allows(OUTSIDE, vk, KUBELET)).isTrue();
      assertThat(net.allows(TENANT, vk, KUBELET)).isFalse();
    }

    @Test
    void portsFollowTheValues() {
      RenderedChart chart =
          render(
              GLEANER,
              values(
                  "broker.grpcPort",
                  7443,
                  "broker.httpPort",
                  8081,
                  "descheduler.hooks.grpcPort",
                  7444,
                  "networkPolicy.reclaimHooks.from[0].podSelector.matchLabels.app",
                  "relay"));
      NetworkPolicies net = policies(chart);
      Endpoint broker = pod(chart, "broker");
      Endpoint vk = pod(chart, "virtual-kubelet");
      assertThat(net.allows(vk, broker, 7443)).isTrue();
      assertThat(net.allows(vk, broker, GRPC)).isFalse();
      assertThat(net.allows(PROMETHEUS, broker, 8081)).isTrue();
      assertThat(
              net.allows(
                  Endpoint.pod(NAMESPACE, Map.of("app", "relay")), pod(chart, "descheduler"), 7444))
          .isTrue();
    }

    @Test
    void anExternalEnsembleGetsNoZooKeeperPolicyAndADisabledServiceNone() {
      RenderedChart chart =
          render(
              GLEANER, values("zookeeper.connect", "zk-0.zk:2181", "descheduler.enabled", false));
      assertThat(chart.all(NetworkPolicy.class))
          .extracting(p -> p.getMetadata().getName())
          .noneMatch(n -> n.contains("zookeeper"))
          .noneMatch(n -> n.contains("descheduler"))
          .contains(PREFIX + "broker");
    }
  }
}
