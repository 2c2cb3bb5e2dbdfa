package io.gleaner.vk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.meta.coord.Zk;
import io.gleaner.meta.coord.ZkLeaderElection;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.kube.LeaderFencing;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedApiServer;
import io.gleaner.sim.apiserver.ServerExtensions;
import io.gleaner.sim.apiserver.audit.AuditEvent;
import io.gleaner.vk.node.NodeController;
import io.gleaner.vk.pod.MemberClusters;
import io.gleaner.vk.pod.PodController;
import io.gleaner.vk.pod.PodControllerConfig;
import io.gleaner.vk.testing.FakeBroker;
import io.gleaner.vk.translate.NamespaceMapping;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fencing of the virtual-kubelet leader, asserted on what reaches the simulated API servers (their
 * audit logs, by the replica's User-Agent) and the broker.
 *
 * <p>A process paused past its ZooKeeper session is stood for by what it finds once continued: its
 * monotonic clock has moved on 25 s, and its latch node is gone (the session expired on the server)
 * while its own client has not noticed yet.
 */
class LeaderFencingIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration SESSION = Duration.ofSeconds(10);
  private static final String AGENT = "gleaner (fencing-it)";
  private static final String LATCH = "/elections/virtual-kubelet/latch";
  private static final Set<String> WRITES = Set.of("create", "update", "patch", "delete");

  private SimRuntime runtime;
  private SimulatedApiServer metaServer;
  private SimulatedApiServer m1Server;
  private KubernetesClient meta;
  private KubernetesClient m1;
  private FakeBroker broker;
  private ManagedChannel channel;
  private TestingServer zk;
  private CuratorFramework leaderZk;
  private CuratorFramework rivalZk;
  private final AtomicLong clockJump = new AtomicLong();
  private ZkLeaderElection election;
  private SimpleMeterRegistry meters;
  private VirtualKubeletService service;

  @BeforeEach
  void setUp() throws Exception {
    runtime = SimRuntime.create();
    metaServer = new SimulatedApiServer("meta", runtime, Clock.systemUTC(), ServerExtensions.NONE);
    m1Server = new SimulatedApiServer("m1", runtime, Clock.systemUTC(), ServerExtensions.NONE);
    meta = metaServer.newClient();
    m1 = m1Server.newClient();
    broker = new FakeBroker(List.of(new FakeBroker.FakeNode("m1", "n1", SourceKind.IDLE, 8000)));
    channel = NettyChannelBuilder.forTarget(broker.target()).usePlaintext().build();
    // 500 ms ticks: sessions from 1 s to 10 s
    zk = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 500, -1), true);
    leaderZk = Zk.connect(zk.getConnectString(), "it", SESSION);
    rivalZk = Zk.connect(zk.getConnectString(), "it", SESSION);
    meters = new SimpleMeterRegistry();
    election =
        new ZkLeaderElection(
            leaderZk, "virtual-kubelet", "old", meters, () -> System.nanoTime() + clockJump.get());
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
            List.of());
    service =
        new VirtualKubeletService(
            Clock.systemUTC(),
            meters,
            fencedClient(metaServer),
            MemberClusters.of(Map.of("m1", fencedClient(m1Server))),
            channel,
            runtime.vertx(),
            s,
            election);
    service.start();
    assertThat(election.awaitLeadership(WAIT)).isTrue();
  }

  /** The replica's clients as production builds them: fenced by its election. */
  private KubernetesClient fencedClient(SimulatedApiServer server) {
    Config config = Config.fromKubeconfig(server.kubeconfig());
    config.setUserAgent(AGENT);
    config.setRequestRetryBackoffLimit(0);
    return LeaderFencing.install(
            new KubernetesClientBuilder()
                .withConfig(config)
                .withHttpClientFactory(new VertxHttpClientFactory(runtime.vertx())),
            election,
            meters)
        .build();
  }

  @AfterEach
  void tearDown() throws Exception {
    service.stop();
    leaderZk.close();
    rivalZk.close();
    zk.close();
    channel.shutdownNow();
    broker.close();
    metaServer.close();
    m1Server.close();
    runtime.close();
  }

  @Test
  void aLeaderPausedPastItsSessionWritesNothingOnceItRunsAgain() throws Exception {
    ZkLeaderElection rival = new ZkLeaderElection(rivalZk, "virtual-kubelet", "rival");
    rival.start();
    try {
      await().atMost(WAIT).until(() -> rivalZk.getChildren().forPath(LATCH).size() == 2);
      Pod before = meta.pods().inNamespace("default").resource(boundPod("before")).create();
      await().atMost(WAIT).until(() -> memberPodsOf(before) == 1);
      long metaCursor = metaServer.security().audit().lastSeq();
      long m1Cursor = m1Server.security().audit().lastSeq();
      int places = broker.places.get();

      // continued after 25 s stopped: the session expired on the server, the client has not
      // noticed
      clockJump.set(Duration.ofSeconds(25).toNanos());
      deleteLatchNodeOf("old");
      Pod after = meta.pods().inNamespace("default").resource(boundPod("after")).create();

      await()
          .atMost(WAIT)
          .until(
              () ->
                  memberPodsOf(after) > 0 || (service.podController() == null && rival.isLeader()));
      assertThat(memberPodsOf(after)).as("member pods of a pod created after the pause").isZero();
      // it re-entered the election behind the new leader
      await().atMost(WAIT).until(() -> rivalZk.getChildren().forPath(LATCH).size() == 2);
      assertThat(rival.epoch()).as("the new leader's term").isPositive();
      assertThat(election.epoch()).as("no new term for the old leader").isZero();
      assertThat(election.epoch()).as("no new term for the old leader").isZero();
      assertThat(election.isLeader()).isFalse();
      assertThat(broker.places.get()).as("Place calls after the pause").isEqualTo(places);
      assertThat(
              writesAfter(m1Server, m1Cursor).stream()
                  .filter(e -> e.verb().equals("create") && e.resource().equals("pods")))
          .as("member pods created after the pause")
          .isEmpty();
      assertThat(writesAfter(metaServer, metaCursor).stream().filter(e -> e.name().equals("after")))
          .as("writes about the pod created after the pause")
          .isEmpty();
    } finally {
      rival.stop();
    }
  }

  @Test
  void aZooKeeperBlipPausesTheLeaderAndResumesItWithoutARelist() throws Exception {
    Pod before = meta.pods().inNamespace("default").resource(boundPod("before")).create();
    await().atMost(WAIT).until(() -> memberPodsOf(before) == 1);
    PodController acting = service.podController();
    long epoch = election.epoch();
    long m1Cursor = m1Server.security().audit().lastSeq();
    long metaCursor = metaServer.security().audit().lastSeq();

    zk.stop();
    // suspended: paused and not ready
    await().atMost(WAIT).until(() -> !election.isLeader() && !election.readiness().check().isUp());
    Pod during = meta.pods().inNamespace("default").resource(boundPod("during")).create();
    zk.restart(); // within the 10 s session

    await().atMost(WAIT).until(election::isLeader);
    await().atMost(WAIT).until(() -> memberPodsOf(during) == 1);
    assertThat(service.podController()).as("the same controller acts again").isSameAs(acting);
    assertThat(election.epoch()).as("the same term").isEqualTo(epoch);
    assertThat(podListsAfter(m1Server, m1Cursor)).as("member pod lists").isZero();
    assertThat(podListsAfter(metaServer, metaCursor)).as("metadata pod lists").isZero();
    assertThat(memberPodsOf(before)).isEqualTo(1);
  }

  private void deleteLatchNodeOf(String candidate) throws Exception {
    for (String child : rivalZk.getChildren().forPath(LATCH)) {
      String path = LATCH + "/" + child;
      if (candidate.equals(new String(rivalZk.getData().forPath(path), StandardCharsets.UTF_8))) {
        rivalZk.delete().forPath(path);
        return;
      }
    }
    throw new AssertionError("no latch node of " + candidate);
  }

  private static List<AuditEvent> writesAfter(SimulatedApiServer server, long cursor) {
    return server.security().audit().events().stream()
        .filter(e -> e.seq() > cursor)
        .filter(e -> WRITES.contains(e.verb()) && AGENT.equals(e.userAgent()))
        .toList();
  }

  private static long podListsAfter(SimulatedApiServer server, long cursor) {
    assertThat(server.security().audit().read(cursor, 1).missed()).as("audit events lost").isZero();
    return server.security().audit().events().stream()
        .filter(e -> e.seq() > cursor)
        .filter(
            e ->
                e.verb().equals("list")
                    && e.resource().equals("pods")
                    && AGENT.equals(e.userAgent()))
        .count();
  }

  private int memberPodsOf(Pod metaPod) {
    return m1.pods()
        .inAnyNamespace()
        .withLabel(GleanerKeys.META_UID, metaPod.getMetadata().getUid())
        .list()
        .getItems()
        .size();
  }

  private static Pod boundPod(String name) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("default")
        .addToLabels(GleanerKeys.CLASS, "offline")
        .endMetadata()
        .withNewSpec()
        .withNodeName("gleaner")
        .addNewContainer()
        .withName("main")
        .withImage("busybox")
        .withNewResources()
        .addToRequests("cpu", new Quantity("100m"))
        .endResources()
        .endContainer()
        .endSpec()
        .build();
  }
}
