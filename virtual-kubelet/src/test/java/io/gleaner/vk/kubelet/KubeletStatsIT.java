package io.gleaner.vk.kubelet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedApiServer;
import io.gleaner.sim.apiserver.ServerExtensions;
import io.gleaner.vk.pod.MemberClusters;
import io.gleaner.vk.pod.PodController;
import io.gleaner.vk.pod.PodControllerConfig;
import io.gleaner.vk.pod.VkMetrics;
import io.gleaner.vk.testing.FakeBroker;
import io.gleaner.vk.translate.MemberPodTranslator;
import io.gleaner.vk.translate.TranslationConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code /stats/summary} and {@code /metrics/resource} over HTTPS, aggregated from two simulated
 * members' {@code metrics.k8s.io}: usage appears under the metadata pods' names, the node is the
 * sum, another installation's pods in the same member are left out, cumulative CPU counters grow
 * with time, and a member that stops answering is skipped instead of failing the scrape.
 */
class KubeletStatsIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Every pod of a member uses the same, cluster-specific amount. */
  private static ServerExtensions usage(String cpu, String memory) {
    return new ServerExtensions() {
      @Override
      public Map<String, String> nodeUsage(JsonNode node) {
        return null;
      }

      @Override
      public Map<String, String> podUsage(JsonNode pod) {
        return Map.of("cpu", cpu, "memory", memory);
      }

      @Override
      public String logs(JsonNode pod, String container, LogOptions options) {
        return "";
      }
    };
  }

  private SimRuntime runtime;
  private SimulatedApiServer metaServer;
  private SimulatedApiServer m1Server;
  private SimulatedApiServer m2Server;
  private KubernetesClient meta;
  private KubernetesClient m1;
  private KubernetesClient m2;
  private FakeBroker broker;
  private ManagedChannel channel;
  private PodController controller;
  private KubeletServer kubelet;
  private HttpClient http;
  private final FakeClock scrapeClock = new FakeClock();

  @BeforeEach
  void setUp() throws Exception {
    runtime = SimRuntime.create();
    Clock clock = Clock.systemUTC();
    metaServer = new SimulatedApiServer("meta", runtime, clock, ServerExtensions.NONE);
    m1Server = new SimulatedApiServer("m1", runtime, clock, usage("250m", "64Mi"));
    m2Server = new SimulatedApiServer("m2", runtime, clock, usage("500m", "128Mi"));
    meta = metaServer.newClient();
    m1 = m1Server.newClient();
    m2 = m2Server.newClient();
    meta.namespaces()
        .resource(
            new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                .withNewMetadata()
                .withName("team-a")
                .endMetadata()
                .build())
        .create();
    // first fit: a 3-cpu pod fills m1/n1, the next one goes to m2/n2
    broker =
        new FakeBroker(
            List.of(
                new FakeBroker.FakeNode("m1", "n1", SourceKind.IDLE, 4000),
                new FakeBroker.FakeNode("m2", "n2", SourceKind.IDLE, 4000)));
    channel = NettyChannelBuilder.forTarget(broker.target()).usePlaintext().build();
    MemberClusters members = MemberClusters.of(Map.of("m1", m1, "m2", m2));
    controller =
        new PodController(
            meta,
            members,
            BrokerApiClient.on(channel, Duration.ofSeconds(5)),
            new MemberPodTranslator(TranslationConfig.defaults("it", "gleaner")),
            clock,
            UnaryOperator.identity(),
            new VkMetrics(new SimpleMeterRegistry()),
            PodControllerConfig.defaults().withGc(Duration.ofHours(1), Duration.ZERO));
    controller.start();
    kubelet =
        new KubeletServer(
            runtime.vertx(),
            new ControllerKubeletBackend(controller, members, "gleaner", "it", scrapeClock),
            KubeletAuth.anonymous("gleaner"),
            clock);
    kubelet.start(
        "127.0.0.1",
        0,
        SelfSignedCertificate.generate("gleaner", "127.0.0.1", clock, Duration.ofDays(1)));
    http =
        runtime
            .vertx()
            .createHttpClient(
                new HttpClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false));
  }

  @AfterEach
  void tearDown() {
    http.close();
    kubelet.close();
    controller.close();
    channel.shutdownNow();
    broker.close();
    metaServer.close();
    m1Server.close();
    m2Server.close();
    runtime.close();
  }

  private Pod bound(String name) {
    return meta.pods()
        .inNamespace("team-a")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace("team-a")
                .addToLabels(GleanerKeys.CLASS, "offline")
                .endMetadata()
                .withNewSpec()
                .withNodeName("gleaner")
                .addNewContainer()
                .withName("main")
                .withImage("busybox")
                .withNewResources()
                .addToRequests("cpu", new Quantity("3"))
                .endResources()
                .endContainer()
                .addNewContainer()
                .withName("sidecar")
                .withImage("busybox")
                .endContainer()
                .endSpec()
                .build())
        .create();
  }

  private String get(String path) throws Exception {
    return http.request(HttpMethod.GET, kubelet.port(), "127.0.0.1", path)
        .compose(r -> r.send().compose(resp -> resp.body().map(b -> resp.statusCode() + " " + b)))
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  private JsonNode summary() throws Exception {
    String r = get("/stats/summary");
    assertThat(r).startsWith("200 ");
    return JSON.readTree(r.substring(4));
  }

  private static JsonNode podRef(JsonNode summary, String name) {
    for (JsonNode p : summary.path("pods")) {
      if (name.equals(p.path("podRef").path("name").asText())) {
        return p;
      }
    }
    return null;
  }

  /** {@code name{labels} value timestamp} lines, keyed by {@code name{labels}}. */
  private static Map<String, Double> samples(String text) {
    Map<String, Double> out = new HashMap<>();
    Matcher m = Pattern.compile("(?m)^([a-z_]+(?:\\{[^}]*})?) (\\S+) (\\d+)$").matcher(text);
    while (m.find()) {
      out.put(m.group(1), Double.parseDouble(m.group(2)));
    }
    return out;
  }

  @Test
  void summaryAndResourceMetricsAggregateMemberUsageUnderMetadataPodNames() throws Exception {
    Pod a = bound("train-a");
    // one at a time: the broker places the first pod on m1 (250m of usage), the second on m2 (500m)
    await()
        .atMost(WAIT)
        .until(() -> !m1.pods().inNamespace("gleaner-team-a").list().getItems().isEmpty());
    Pod b = bound("train-b");
    // another installation's pod in m1 carries the same managed label; it is not this node's usage
    m1.pods()
        .inNamespace("default")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("foreign")
                .addToLabels(GleanerKeys.MANAGED, "true")
                .addToLabels(GleanerKeys.INSTANCE, "other")
                .addToLabels(GleanerKeys.META_UID, a.getMetadata().getUid())
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("main")
                .withImage("busybox")
                .endContainer()
                .endSpec()
                .build())
        .create();
    await()
        .atMost(WAIT)
        .until(
            () ->
                !m1.pods().inNamespace("gleaner-team-a").list().getItems().isEmpty()
                    && !m2.pods().inNamespace("gleaner-team-a").list().getItems().isEmpty());

    JsonNode first = await().atMost(WAIT).until(this::summary, s -> s.path("pods").size() == 2);
    JsonNode pa = podRef(first, "train-a");
    JsonNode pb = podRef(first, "train-b");
    assertThat(pa.path("podRef").path("namespace").asText()).isEqualTo("team-a");
    assertThat(pa.path("podRef").path("uid").asText()).isEqualTo(a.getMetadata().getUid());
    assertThat(pb.path("podRef").path("uid").asText()).isEqualTo(b.getMetadata().getUid());
    // the simulator reports the pod's usage on its first container
    assertThat(pa.path("cpu").path("usageNanoCores").asLong()).isEqualTo(250_000_000L);
    assertThat(pa.path("memory").path("workingSetBytes").asLong()).isEqualTo(64L << 20);
    assertThat(pb.path("cpu").path("usageNanoCores").asLong()).isEqualTo(500_000_000L);
    assertThat(pb.path("memory").path("workingSetBytes").asLong()).isEqualTo(128L << 20);
    assertThat(pa.path("containers"))
        .extracting(c -> c.path("name").asText())
        .containsExactly("main", "sidecar");
    JsonNode node = first.path("node");
    assertThat(node.path("nodeName").asText()).isEqualTo("gleaner");
    assertThat(node.path("cpu").path("usageNanoCores").asLong()).isEqualTo(750_000_000L);
    assertThat(node.path("memory").path("workingSetBytes").asLong()).isEqualTo(192L << 20);
    long nodeCpuBefore = node.path("cpu").path("usageCoreNanoSeconds").asLong();

    // cumulative counters integrate the rate over the time between scrapes: 10 s at 0.75 cores =
    // 7.5 core-seconds
    scrapeClock.advance(Duration.ofSeconds(10));
    String text = get("/metrics/resource");
    assertThat(text).startsWith("200 ");
    Map<String, Double> s = samples(text);
    assertThat(s.get("node_cpu_usage_seconds_total") - nodeCpuBefore / 1e9)
        .isCloseTo(7.5, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(s.get("node_memory_working_set_bytes")).isEqualTo((double) (192L << 20));
    assertThat(
            s.get(
                "container_cpu_usage_seconds_total{container=\"main\",namespace=\"team-a\",pod=\"train-a\"}"))
        .isCloseTo(2.5, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(
            s.get(
                "container_cpu_usage_seconds_total{container=\"sidecar\",namespace=\"team-a\",pod=\"train-a\"}"))
        .isZero();
    assertThat(
            s.get(
                "container_memory_working_set_bytes{container=\"main\",namespace=\"team-b\",pod=\"train-b\"}"))
        .isNull();
    assertThat(
            s.get(
                "container_memory_working_set_bytes{container=\"main\",namespace=\"team-a\",pod=\"train-b\"}"))
        .isEqualTo((double) (128L << 20));
    assertThat(s.get("pod_cpu_usage_seconds_total{namespace=\"team-a\",pod=\"train-b\"}"))
        .isCloseTo(5.0, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(s.get("pod_memory_working_set_bytes{namespace=\"team-a\",pod=\"train-a\"}"))
        .isEqualTo((double) (64L << 20));
    assertThat(s)
        .containsKey(
            "container_start_time_seconds{container=\"main\",namespace=\"team-a\",pod=\"train-a\"}")
        .containsEntry("scrape_error", 0.0);
    assertThat(text)
        .contains("# TYPE node_cpu_usage_seconds_total counter")
        .contains("# TYPE container_memory_working_set_bytes gauge")
        .endsWith(" " + scrapeClock.millis() + "\n");
    assertThat(text).doesNotContain("foreign");

    // a member that stops answering is skipped: the scrape still succeeds, with the other member's
    // pod only
    m2Server.setReachable(false);
    scrapeClock.advance(Duration.ofSeconds(10));
    JsonNode partial = summary();
    assertThat(partial.path("pods")).hasSize(1);
    assertThat(podRef(partial, "train-a")).isNotNull();
    assertThat(partial.path("node").path("cpu").path("usageNanoCores").asLong())
        .isEqualTo(250_000_000L);
    assertThat(partial.path("node").path("cpu").path("usageCoreNanoSeconds").asLong())
        .as("the node counter never goes back")
        .isGreaterThan((long) (s.get("node_cpu_usage_seconds_total") * 1e9));
  }

  @Test
  void summaryOfANodeWithoutPodsIsEmptyButValid() throws Exception {
    JsonNode s = summary();
    assertThat(s.path("pods")).isEmpty();
    assertThat(s.path("node").path("nodeName").asText()).isEqualTo("gleaner");
    assertThat(s.path("node").path("cpu").path("usageNanoCores").asLong()).isZero();
    assertThat(samples(get("/metrics/resource").substring(4)))
        .containsEntry("node_cpu_usage_seconds_total", 0.0)
        .containsEntry("node_memory_working_set_bytes", 0.0);
  }
}
