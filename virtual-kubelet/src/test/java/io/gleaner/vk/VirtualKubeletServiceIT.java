package io.gleaner.vk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedApiServer;
import io.gleaner.sim.apiserver.ServerExtensions;
import io.gleaner.vk.node.NodeController;
import io.gleaner.vk.pod.MemberClusters;
import io.gleaner.vk.pod.PodController;
import io.gleaner.vk.pod.PodControllerConfig;
import io.gleaner.vk.testing.FakeBroker;
import io.gleaner.vk.translate.NamespaceMapping;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole service: node registration, lease heartbeat, kubelet API (kubectl logs through the API
 * server proxy).
 */
class VirtualKubeletServiceIT {
  private static final Duration WAIT = Duration.ofSeconds(20);

  /**
   * Member API servers serve generated logs; the metadata server proxies logs to the virtual node's
   * kubelet.
   */
  private static ServerExtensions logs(String text) {
    return new ServerExtensions() {
      @Override
      public Map<String, String> nodeUsage(JsonNode node) {
        return null;
      }

      @Override
      public Map<String, String> podUsage(JsonNode pod) {
        return null;
      }

      @Override
      public String logs(JsonNode pod, String container, LogOptions options) {
        return text == null
            ? null
            : text + "container=" + container + " tail=" + options.tailLines() + "\n";
      }
    };
  }

  private SimRuntime runtime;
  private SimulatedApiServer metaServer;
  private SimulatedApiServer m1Server;
  private KubernetesClient meta;
  private KubernetesClient m1;
  private FakeBroker broker;
  private ManagedChannel channel;
  private VirtualKubeletService service;

  @BeforeEach
  void setUp() throws Exception {
    runtime = SimRuntime.create();
    metaServer = new SimulatedApiServer("meta", runtime, Clock.systemUTC(), logs(null));
    m1Server = new SimulatedApiServer("m1", runtime, Clock.systemUTC(), logs("hello from m1\n"));
    meta = metaServer.newClient();
    m1 = m1Server.newClient();
    broker = new FakeBroker(List.of(new FakeBroker.FakeNode("m1", "n1", SourceKind.IDLE, 8000)));
    channel = NettyChannelBuilder.forTarget(broker.target()).usePlaintext().build();
    VirtualKubeletService.Settings s = VirtualKubeletService.Settings.sandbox("it");
    s =
        new VirtualKubeletService.Settings(
            s.node(),
            "it",
            NamespaceMapping.identity(),
            PodControllerConfig.defaults(),
            new NodeController.Timing(
                Duration.ofMillis(100),
                Duration.ofSeconds(60),
                Duration.ofMillis(200),
                Duration.ofSeconds(40)),
            Duration.ofSeconds(5),
            "127.0.0.1",
            null,
            false,
            List.of(metaServer.security().ca().certificate()));
    service =
        new VirtualKubeletService(
            Clock.systemUTC(),
            new SimpleMeterRegistry(),
            meta,
            MemberClusters.of(Map.of("m1", m1)),
            channel,
            runtime.vertx(),
            s,
            null);
    service.start();
  }

  @AfterEach
  void tearDown() {
    service.stop();
    channel.shutdownNow();
    broker.close();
    metaServer.close();
    m1Server.close();
    runtime.close();
  }

  @Test
  void aStandbyTakesOverWithinOneLeaseDurationWhenTheLeaderStops() throws Exception {
    service.stop(); // this test runs its own two replicas
    VirtualKubeletService.Settings base = VirtualKubeletService.Settings.sandbox("it");
    VirtualKubeletService.Settings s =
        new VirtualKubeletService.Settings(
            base.node(),
            "it",
            NamespaceMapping.identity(),
            PodControllerConfig.defaults(),
            new NodeController.Timing(
                Duration.ofMillis(100),
                Duration.ofSeconds(60),
                Duration.ofMillis(200),
                Duration.ofSeconds(40)),
            Duration.ofSeconds(5),
            "127.0.0.1",
            null,
            false,
            List.of(metaServer.security().ca().certificate()));
    try (org.apache.curator.test.TestingServer zk =
            new org.apache.curator.test.TestingServer(true);
        org.apache.curator.framework.CuratorFramework c1 =
            io.gleaner.meta.coord.Zk.connect(zk.getConnectString(), "it", Duration.ofSeconds(5));
        org.apache.curator.framework.CuratorFramework c2 =
            io.gleaner.meta.coord.Zk.connect(zk.getConnectString(), "it", Duration.ofSeconds(5))) {
      io.gleaner.meta.coord.ZkLeaderElection e1 =
          new io.gleaner.meta.coord.ZkLeaderElection(c1, "virtual-kubelet", "one");
      io.gleaner.meta.coord.ZkLeaderElection e2 =
          new io.gleaner.meta.coord.ZkLeaderElection(c2, "virtual-kubelet", "two");
      VirtualKubeletService one =
          new VirtualKubeletService(
              Clock.systemUTC(),
              new SimpleMeterRegistry(),
              meta,
              MemberClusters.of(Map.of("m1", m1)),
              channel,
              runtime.vertx(),
              s,
              e1);
      VirtualKubeletService two =
          new VirtualKubeletService(
              Clock.systemUTC(),
              new SimpleMeterRegistry(),
              meta,
              MemberClusters.of(Map.of("m1", m1)),
              channel,
              runtime.vertx(),
              s,
              e2);
      one.start();
      two.start();
      try {
        await().atMost(WAIT).until(() -> e1.isLeader() ^ e2.isLeader());
        VirtualKubeletService leader = e1.isLeader() ? one : two;
        VirtualKubeletService standby = leader == one ? two : one;
        io.gleaner.meta.coord.ZkLeaderElection standbyElection = leader == one ? e2 : e1;
        await().atMost(WAIT).until(() -> kubeletPortOfNode() == leader.kubeletPort());
        assertThat(standby.podController()).as("the standby does not act").isNull();
        Pod before = meta.pods().inNamespace("default").resource(boundPod("before")).create();
        await().atMost(WAIT).until(() -> memberPodsOf(before) == 1);
        // warm: the standby has listed and keeps watching, without acting
        await()
            .atMost(WAIT)
            .until(
                () ->
                    standby.standbyController() != null
                        && standby.standbyController().metaPods().stream()
                            .anyMatch(
                                p ->
                                    p.getMetadata()
                                        .getUid()
                                        .equals(before.getMetadata().getUid())));
        PodController warm = standby.standbyController();
        assertThat(warm.isActing()).isFalse();

        long stoppedAt = System.nanoTime();
        leader.stop();
        await()
            .atMost(Duration.ofSeconds(40))
            .until(
                () ->
                    standbyElection.isLeader()
                        && kubeletPortOfNode() == standby.kubeletPort()
                        && standby.podController() != null);
        assertThat(Duration.ofNanos(System.nanoTime() - stoppedAt))
            .isLessThan(Duration.ofSeconds(40));
        assertThat(standby.podController())
            .as("the warm controller acts, no re-list")
            .isSameAs(warm);
        Pod after = meta.pods().inNamespace("default").resource(boundPod("after")).create();
        await().atMost(WAIT).until(() -> memberPodsOf(after) == 1);
        assertThat(memberPodsOf(before)).as("adopted, not duplicated").isEqualTo(1);
        Node n = meta.nodes().withName("gleaner").get();
        assertThat(n.getStatus().getConditions())
            .anySatisfy(
                c -> {
                  assertThat(c.getType()).isEqualTo("Ready");
                  assertThat(c.getStatus()).isEqualTo("True");
                });
      } finally {
        one.stop();
        two.stop();
      }
    }
  }

  private static Pod boundPod(String name) {
    return new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("default")
        .addToLabels(io.gleaner.meta.kube.GleanerKeys.CLASS, "offline")
        .endMetadata()
        .withNewSpec()
        .withNodeName("gleaner")
        .addNewContainer()
        .withName("main")
        .withImage("busybox")
        .withNewResources()
        .addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity("100m"))
        .endResources()
        .endContainer()
        .endSpec()
        .build();
  }

  private int memberPodsOf(Pod metaPod) {
    return m1.pods()
        .inAnyNamespace()
        .withLabel(io.gleaner.meta.kube.GleanerKeys.META_UID, metaPod.getMetadata().getUid())
        .list()
        .getItems()
        .size();
  }

  private int kubeletPortOfNode() {
    Node n = meta.nodes().withName("gleaner").get();
    return n == null || n.getStatus() == null || n.getStatus().getDaemonEndpoints() == null
        ? -1
        : n.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort();
  }

  @Test
  void registersNodeWithBrokerCapacityAndKeepsLeaseAlive() {
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              Node n = meta.nodes().withName("gleaner").get();
              assertThat(n).isNotNull();
              assertThat(n.getMetadata().getLabels())
                  .containsEntry("type", "virtual-kubelet")
                  .containsEntry("kubernetes.io/role", "agent");
              assertThat(n.getSpec().getTaints())
                  .extracting("key")
                  .containsExactly("virtual-kubelet.io/provider");
              assertThat(n.getStatus().getCapacity()).containsEntry("cpu", new Quantity("8"));
              assertThat(n.getMetadata().getAnnotations())
                  .containsEntry("gleaner.io/largest-shape-cpu", "8");
              assertThat(n.getStatus().getConditions())
                  .anySatisfy(
                      c -> {
                        assertThat(c.getType()).isEqualTo("Ready");
                        assertThat(c.getStatus()).isEqualTo("True");
                      });
              assertThat(n.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort())
                  .isEqualTo(service.kubeletPort());
            });
    var leases = meta.resources(Lease.class).inNamespace("kube-node-lease");
    Lease first =
        await().atMost(WAIT).until(() -> leases.withName("gleaner").get(), l -> l != null);
    assertThat(first.getSpec().getLeaseDurationSeconds()).isEqualTo(40);
    await()
        .atMost(WAIT)
        .until(
            () ->
                !leases
                        .withName("gleaner")
                        .get()
                        .getSpec()
                        .getRenewTime()
                        .equals(first.getSpec().getRenewTime())
                    || leases
                            .withName("gleaner")
                            .get()
                            .getMetadata()
                            .getResourceVersion()
                            .compareTo(first.getMetadata().getResourceVersion())
                        != 0);
  }

  @Test
  void nodeAndLeaseAreRecreatedWhenDeleted() {
    await().atMost(WAIT).until(() -> meta.nodes().withName("gleaner").get() != null);
    var leases = meta.resources(Lease.class).inNamespace("kube-node-lease");
    await().atMost(WAIT).until(() -> leases.withName("gleaner").get() != null);
    meta.nodes().withName("gleaner").delete();
    leases.withName("gleaner").delete();
    broker.publishCapacity(); // any change marks the status dirty
    await().atMost(WAIT).until(() -> leases.withName("gleaner").get() != null);
    await().atMost(WAIT).until(() -> meta.nodes().withName("gleaner").get() != null);
  }

  @Test
  void kubectlLogsThroughTheApiServerReachTheMemberPod() throws Exception {
    meta.namespaces()
        .resource(
            new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                .withNewMetadata()
                .withName("team-a")
                .endMetadata()
                .build())
        .create();
    meta.pods()
        .inNamespace("team-a")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("train-0")
                .withNamespace("team-a")
                .endMetadata()
                .withNewSpec()
                .withNodeName("gleaner")
                .addNewContainer()
                .withName("main")
                .withImage("busybox")
                .withNewResources()
                .addToRequests("cpu", new Quantity("1"))
                .endResources()
                .endContainer()
                .endSpec()
                .build())
        .create();
    var member =
        await()
            .atMost(WAIT)
            .until(
                () ->
                    m1.pods()
                        .inAnyNamespace()
                        .withLabel(GleanerKeys.MANAGED, "true")
                        .list()
                        .getItems(),
                l -> !l.isEmpty())
            .get(0);
    // play the member scheduler: bind the member pod to its node
    m1.bindings()
        .inNamespace("team-a")
        .resource(
            new io.fabric8.kubernetes.api.model.BindingBuilder()
                .withNewMetadata()
                .withName(member.getMetadata().getName())
                .endMetadata()
                .withNewTarget()
                .withKind("Node")
                .withName("n1")
                .endTarget()
                .build())
        .create();
    String log =
        await()
            .atMost(WAIT)
            .until(
                () -> {
                  try {
                    return meta.pods()
                        .inNamespace("team-a")
                        .withName("train-0")
                        .inContainer("main")
                        .tailingLines(5)
                        .getLog();
                  } catch (RuntimeException e) {
                    org.slf4j.LoggerFactory.getLogger(getClass()).warn("logs: {}", e.toString());
                    return "";
                  }
                },
                l -> l.contains("hello from m1"));
    assertThat(log).contains("container=main").contains("tail=5");

    HttpClient http =
        runtime
            .vertx()
            .createHttpClient(
                // as the metadata API server calls the kubelet: with its kubelet client certificate
                new HttpClientOptions()
                    .setSsl(true)
                    .setTrustAll(true)
                    .setVerifyHost(false)
                    .setKeyCertOptions(
                        new io.vertx.core.net.PemKeyCertOptions()
                            .addCertValue(
                                io.vertx.core.buffer.Buffer.buffer(
                                    metaServer.kubeletClientCertificate().certificatePem()))
                            .addKeyValue(
                                io.vertx.core.buffer.Buffer.buffer(
                                    metaServer.kubeletClientCertificate().pkcs8KeyPem()))));
    String healthz =
        http.request(HttpMethod.GET, service.kubeletPort(), "127.0.0.1", "/healthz")
            .compose(r -> r.send().compose(resp -> resp.body()))
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS)
            .toString();
    assertThat(healthz).isEqualTo("ok");
    String pods =
        http.request(HttpMethod.GET, service.kubeletPort(), "127.0.0.1", "/pods")
            .compose(r -> r.send().compose(resp -> resp.body()))
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS)
            .toString();
    assertThat(pods).contains("\"kind\":\"PodList\"").contains("train-0");
    String missing =
        http.request(
                HttpMethod.GET,
                service.kubeletPort(),
                "127.0.0.1",
                "/containerLogs/team-a/nope/main")
            .compose(
                r -> r.send().compose(resp -> resp.body().map(b -> resp.statusCode() + " " + b)))
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    assertThat(missing).startsWith("404");
    http.close();
  }
}
