package io.gleaner.descheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.v1.BrokerGrpc;
import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.api.v1.ReclaimFilter;
import io.gleaner.api.v1.ReclaimHooksGrpc;
import io.gleaner.api.v1.WithdrawRequest;
import io.gleaner.api.v1.WithdrawResponse;
import io.gleaner.descheduler.hooks.Signatures;
import io.gleaner.descheduler.hooks.Webhook;
import io.gleaner.descheduler.plan.Outcome;
import io.gleaner.descheduler.plan.Plan;
import io.gleaner.meta.config.DeschedulerConfig;
import io.gleaner.meta.config.ServerTls;
import io.gleaner.meta.coord.AlwaysLeader;
import io.gleaner.meta.crd.EvictionLimits;
import io.gleaner.meta.crd.GleanerPolicy;
import io.gleaner.meta.crd.GleanerPolicySpec;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.policy.PolicySource;
import io.gleaner.meta.policy.PolicyWatcher;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedCluster;
import io.gleaner.sim.apiserver.audit.AuditEvent;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The descheduler on a simulated member cluster (scheduler, kubelet, PDB-aware eviction), a fake
 * broker and hooks.
 */
class DeschedulerIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String SECRET = "s3cret";

  /** A broker that records Withdraw calls. */
  static final class FakeBroker extends BrokerGrpc.BrokerImplBase {
    final List<WithdrawRequest> withdrawals = new CopyOnWriteArrayList<>();

    @Override
    public void withdraw(WithdrawRequest request, StreamObserver<WithdrawResponse> response) {
      withdrawals.add(request);
      response.onNext(WithdrawResponse.newBuilder().setWithdrawn(true).build());
      response.onCompleted();
    }
  }

  record Delivery(String body, String signature) {}

  private SimRuntime runtime;
  private SimulatedCluster cluster;
  private KubernetesClient client;
  private final FakeBroker broker = new FakeBroker();
  private Server brokerServer;
  private ManagedChannel brokerChannel;
  private HttpServer webhook;
  private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
  private final List<Plan> plans = new CopyOnWriteArrayList<>();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private DeschedulerService service;
  private PolicySource policy = PolicySource.defaults();
  private final AlwaysLeader election = new AlwaysLeader("it");
  private List<String> nodes;

  @BeforeEach
  void setUp() throws IOException {
    runtime = SimRuntime.create();
    cluster =
        SimulatedCluster.builder("m1")
            .runtime(runtime)
            .preemption(false)
            .nodes(NodeShape.of(2, "8", "32Gi").withLabel(GleanerKeys.POOL, "idle"))
            .build();
    client = cluster.client();
    nodes = cluster.nodeNames().stream().sorted().toList();
    brokerServer =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(broker)
            .build()
            .start();
    brokerChannel =
        NettyChannelBuilder.forAddress("127.0.0.1", brokerServer.getPort()).usePlaintext().build();
    webhook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    webhook.createContext(
        "/hook",
        exchange -> {
          try (InputStream in = exchange.getRequestBody()) {
            deliveries.add(
                new Delivery(
                    new String(in.readAllBytes(), StandardCharsets.UTF_8),
                    exchange.getRequestHeaders().getFirst(Signatures.HEADER)));
          }
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    webhook.start();
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    if (service != null) {
      service.stop();
    }
    webhook.stop(0);
    brokerChannel.shutdownNow();
    brokerServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    cluster.close();
    runtime.close();
  }

  private void startService() {
    startService(DeschedulerSettings.DEFAULTS);
  }

  private void startService(DeschedulerSettings base) {
    DeschedulerSettings settings =
        base.withWebhooks(
            List.of(
                Webhook.of(
                    "test",
                    "http://127.0.0.1:" + webhook.getAddress().getPort() + "/hook",
                    SECRET)));
    service =
        new DeschedulerService(
            Clock.systemUTC(),
            registry,
            Map.of("m1", client),
            brokerChannel,
            election,
            settings,
            policy,
            new DeschedulerConfig.HookServer(true, "127.0.0.1", 0, ServerTls.NONE));
    service.addPlanListener(plans::add);
    service.start();
  }

  private Pod gleanerPod(
      String name, String node, String cpu, String podClass, Map<String, String> extraLabels) {
    return gleanerPod(name, node, cpu, podClass, extraLabels, 1);
  }

  private Pod gleanerPod(
      String name,
      String node,
      String cpu,
      String podClass,
      Map<String, String> extraLabels,
      long grace) {
    return client
        .pods()
        .inNamespace("default")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .addToLabels(GleanerKeys.MANAGED, "true")
                .addToLabels(GleanerKeys.CLASS, podClass)
                .addToLabels(GleanerKeys.SOURCE, "idle")
                .addToLabels(GleanerKeys.META_UID, "meta-" + name)
                .addToLabels(extraLabels)
                .endMetadata()
                .withNewSpec()
                .withNodeName(node)
                .withPriority(-10)
                .withPreemptionPolicy("Never")
                .withTerminationGracePeriodSeconds(grace)
                .addNewContainer()
                .withName("main")
                .withImage("busybox")
                .withNewResources()
                .addToRequests("cpu", new Quantity(cpu))
                .addToRequests("memory", new Quantity("1Gi"))
                .endResources()
                .endContainer()
                .endSpec()
                .build())
        .create();
  }

  private Pod onlinePod(String name, String cpu, Map<String, String> nodeSelector) {
    return client
        .pods()
        .inNamespace("default")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .addToLabels("app", "web")
                .endMetadata()
                .withNewSpec()
                .withPriority(1000)
                .withNodeSelector(nodeSelector)
                .addNewContainer()
                .withName("main")
                .withImage("nginx")
                .withNewResources()
                .addToRequests("cpu", new Quantity(cpu))
                .addToRequests("memory", new Quantity("1Gi"))
                .endResources()
                .endContainer()
                .endSpec()
                .build())
        .create();
  }

  private boolean running(String name) {
    Pod p = client.pods().inNamespace("default").withName(name).get();
    return p != null && p.getStatus() != null && "Running".equals(p.getStatus().getPhase());
  }

  private boolean present(String name) {
    Pod p = client.pods().inNamespace("default").withName(name).get();
    return p != null && p.getMetadata().getDeletionTimestamp() == null;
  }

  private double counter(String name) {
    return registry.find(name).counters().stream().mapToDouble(c -> c.count()).sum();
  }

  /**
   * Two installations share the member: this descheduler is instance {@code gleaner} (the default),
   * the other installation is {@code other}. Node 0 is ours, with the other's cheaper offline pod
   * beside our near-line one; node 1 is lent by the other. The online pod's room comes from our pod
   * alone, and nothing of the other's is evicted or handed back.
   */
  @Test
  void anotherInstallationsPodsAndNodesAreNeverTouched() {
    Map<String, String> other = Map.of(GleanerKeys.INSTANCE, "other");
    client
        .nodes()
        .withName(nodes.get(1))
        .edit(
            n -> {
              n.getMetadata().getLabels().put(GleanerKeys.LENT_BY, "other");
              n.getMetadata()
                  .setAnnotations(
                      Map.of(GleanerKeys.LENT_RENEWED_AT, java.time.Instant.now().toString()));
              return n;
            });
    gleanerPod("mine", nodes.get(0), "2", "near-line", Map.of(GleanerKeys.INSTANCE, "gleaner"));
    gleanerPod("theirs-0", nodes.get(0), "4", "offline", other);
    gleanerPod("theirs-1a", nodes.get(1), "4", "offline", other);
    gleanerPod("theirs-1b", nodes.get(1), "4", "offline", other);
    await()
        .atMost(WAIT)
        .until(
            () ->
                running("mine")
                    && running("theirs-0")
                    && running("theirs-1a")
                    && running("theirs-1b"));
    startService();

    onlinePod("web-1", "4", Map.of());

    await().atMost(WAIT).until(() -> running("web-1"));
    assertThat(present("mine")).as("our pod made the room").isFalse();
    assertThat(List.of("theirs-0", "theirs-1a", "theirs-1b"))
        .as("the other installation's pods")
        .allMatch(this::present);
    assertThat(plans)
        .flatExtracting(Plan::reclaims)
        .flatExtracting(r -> r.victims())
        .extracting(v -> v.pod().name())
        .containsOnly("mine");
    Node theirs = client.nodes().withName(nodes.get(1)).get();
    assertThat(theirs.getMetadata().getLabels())
        .containsEntry(GleanerKeys.POOL, "idle")
        .containsEntry(GleanerKeys.LENT_BY, "other");
    assertThat(theirs.getMetadata().getAnnotations()).doesNotContainKey(GleanerKeys.RECLAIMED_AT);
    await()
        .atMost(WAIT)
        .until(() -> broker.withdrawals.stream().anyMatch(WithdrawRequest::hasEvent));
    assertThat(broker.withdrawals)
        .extracting(w -> w.getNode().getNode())
        .doesNotContain(nodes.get(1));
  }

  @Test
  void onlineScaleUpEvictsTheCheapestVictimReturnsTheNodeAndTellsEveryone() {
    gleanerPod("old-offline", nodes.get(0), "4", "offline", Map.of());
    gleanerPod("near", nodes.get(0), "4", "near-line", Map.of());
    gleanerPod("b1", nodes.get(1), "4", "near-line", Map.of());
    gleanerPod("b2", nodes.get(1), "4", "near-line", Map.of());
    await()
        .atMost(WAIT)
        .until(() -> running("old-offline") && running("near") && running("b1") && running("b2"));
    startService();
    List<ReclaimEvent> streamed = new CopyOnWriteArrayList<>();
    ManagedChannel hooks =
        NettyChannelBuilder.forAddress("127.0.0.1", service.hooksPort()).usePlaintext().build();
    try {
      ReclaimHooksGrpc.newStub(hooks)
          .watch(
              ReclaimFilter.newBuilder().addClusters("m1").build(),
              new StreamObserver<>() {
                @Override
                public void onNext(ReclaimEvent value) {
                  streamed.add(value);
                }

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {}
              });
      await().atMost(WAIT).until(() -> service.hub().watchers() == 1);

      onlinePod("web-1", "4", Map.of());

      await().atMost(WAIT).untilAsserted(() -> assertThat(present("old-offline")).isFalse());
      await().atMost(WAIT).until(() -> running("web-1"));
      assertThat(present("near")).isTrue();
      assertThat(present("b1") && present("b2")).as("one victim is enough").isTrue();

      Node returned = client.nodes().withName(nodes.get(0)).get();
      assertThat(returned.getMetadata().getLabels()).doesNotContainKey(GleanerKeys.POOL);
      assertThat(returned.getMetadata().getAnnotations())
          .containsKeys(GleanerKeys.RECLAIMED_AT, GleanerKeys.COOLDOWN_UNTIL);
      assertThat(client.nodes().withName(nodes.get(1)).get().getMetadata().getLabels())
          .containsKey(GleanerKeys.POOL);

      await()
          .atMost(WAIT)
          .until(() -> broker.withdrawals.stream().anyMatch(WithdrawRequest::hasEvent));
      WithdrawRequest w =
          broker.withdrawals.stream().filter(WithdrawRequest::hasEvent).findFirst().orElseThrow();
      assertThat(w.getNode().getCluster()).isEqualTo("m1");
      assertThat(w.getNode().getNode()).isEqualTo(nodes.get(0));
      assertThat(w.getCooldownUntilMs()).isGreaterThan(w.getEvent().getEvictedAtMs());
      assertThat(w.getEvent().getVictimsList())
          .extracting(v -> v.getName())
          .containsExactly("old-offline");
      assertThat(w.getEvent().getOnlinePodsList()).containsExactly("default/web-1");
      assertThat(w.getEvent().getEvictedAtMs() - w.getEvent().getTriggeredAtMs()).isLessThan(5_000);

      await().atMost(WAIT).until(() -> !deliveries.isEmpty() && !streamed.isEmpty());
      Delivery d = deliveries.get(0);
      assertThat(
              Signatures.verify(
                  SECRET,
                  d.body().getBytes(StandardCharsets.UTF_8),
                  d.signature(),
                  java.time.Instant.now(),
                  Signatures.DEFAULT_TOLERANCE))
          .isTrue();
      assertThat(d.body()).contains("\"cluster\":\"m1\"").contains("old-offline");
      assertThat(streamed.get(0).getNode()).isEqualTo(nodes.get(0));

      await()
          .atMost(WAIT)
          .untilAsserted(
              () ->
                  assertThat(client.v1().events().inNamespace("default").list().getItems())
                      .anyMatch(
                          e ->
                              GleanerKeys.RECLAIM_EVENT_REASON.equals(e.getReason())
                                  && "web-1".equals(e.getInvolvedObject().getName())
                                  && e.getMessage()
                                      .contains(
                                          "Gleaner reclaimed node "
                                              + nodes.get(0)
                                              + " for pod default/web-1: evicted default/old-offline")));
      assertThat(counter(DeschedulerMetrics.RECLAIMS)).isEqualTo(1);
      assertThat(
              registry
                  .find(DeschedulerMetrics.HOOK_DELIVERIES)
                  .tag("outcome", "delivered")
                  .counters())
          .isNotEmpty();
    } finally {
      hooks.shutdownNow();
    }
  }

  private double victims(String outcome) {
    return registry.find(DeschedulerMetrics.VICTIMS).tag("outcome", outcome).counters().stream()
        .mapToDouble(c -> c.count())
        .sum();
  }

  @Test
  void evictionLimitsAndCoolDownFollowTheGleanerPolicyLive() throws Exception {
    SimulatedCluster metaCluster =
        SimulatedCluster.builder("meta").runtime(runtime).gleanerCrds(true).build();
    try (PolicyWatcher watcher = new PolicyWatcher(metaCluster.client(), Clock.systemUTC())) {
      KubernetesClient meta = metaCluster.client();
      // one eviction per 1000 s: a reclaim of four victims evicts one, the others are refused
      GleanerPolicySpec spec = new GleanerPolicySpec();
      spec.setEviction(new EvictionLimits(0.001, 10));
      spec.setReclaimCooldown("7m");
      meta.resources(GleanerPolicy.class)
          .resource(GleanerPolicy.of(GleanerPolicy.DEFAULT_NAME, spec))
          .create();
      watcher.start();
      assertThat(watcher.awaitFirstVerdict(WAIT)).isTrue();
      policy = watcher;
      for (int i = 1; i <= 4; i++) {
        gleanerPod("a" + i, nodes.get(0), "2", "offline", Map.of());
        gleanerPod("b" + i, nodes.get(1), "2", "offline", Map.of());
      }
      List<String> a = List.of("a1", "a2", "a3", "a4");
      List<String> b = List.of("b1", "b2", "b3", "b4");
      await()
          .atMost(WAIT)
          .until(() -> a.stream().allMatch(this::running) && b.stream().allMatch(this::running));
      startService();

      onlinePod("web-a", "8", Map.of("kubernetes.io/hostname", nodes.get(0)));

      await().atMost(WAIT).until(() -> victims("rate_limited") >= 3);
      assertThat(victims("evicted")).isEqualTo(1);
      assertThat(a.stream().filter(this::present)).hasSize(3);
      // 1000 evictions per second now: node 1 is emptied for its online pod in one go
      meta.resources(GleanerPolicy.class)
          .withName(GleanerPolicy.DEFAULT_NAME)
          .edit(
              p -> {
                p.getSpec().setEviction(new EvictionLimits(1000.0, 10));
                return p;
              });
      await().atMost(WAIT).until(() -> service.limiter("m1").orElseThrow().perSecond() == 1000.0);
      List<ReclaimEvent> events = new CopyOnWriteArrayList<>();
      service.hub().addListener(events::add);
      onlinePod("web-b", "8", Map.of("kubernetes.io/hostname", nodes.get(1)));

      await().atMost(WAIT).until(() -> running("web-b"));
      await()
          .atMost(WAIT)
          .until(() -> events.stream().anyMatch(e -> e.getNode().equals(nodes.get(1))));
      ReclaimEvent nodeB =
          events.stream().filter(e -> e.getNode().equals(nodes.get(1))).findFirst().orElseThrow();
      assertThat(nodeB.getVictimsList())
          .extracting(v -> v.getName())
          .containsExactlyInAnyOrderElementsOf(b);
      // node 1 is handed back once its evictions are answered, with the policy's cool-down
      await()
          .atMost(WAIT)
          .untilAsserted(
              () -> {
                Map<String, String> ann =
                    client.nodes().withName(nodes.get(1)).get().getMetadata().getAnnotations();
                assertThat(ann).containsKeys(GleanerKeys.RECLAIMED_AT, GleanerKeys.COOLDOWN_UNTIL);
                assertThat(
                        Duration.between(
                            java.time.Instant.parse(ann.get(GleanerKeys.RECLAIMED_AT)),
                            java.time.Instant.parse(ann.get(GleanerKeys.COOLDOWN_UNTIL))))
                    .isEqualTo(Duration.ofMinutes(7));
              });
    } finally {
      metaCluster.close();
    }
  }

  /**
   * One eviction a thousand seconds, and an eviction may wait five minutes for it: node 0's reclaim
   * takes the one permit and three of its evictions wait. Node 1's online pod is decided meanwhile,
   * not after those waits (the wait was once the deciding thread's, under the cluster's lock).
   */
  @Test
  void anEvictionWaitingForItsPermitHoldsBackNoOtherDecisionOfTheMember() {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setEviction(new EvictionLimits(0.001, 10));
    policy = PolicySource.fixed(spec.effective());
    for (int i = 1; i <= 4; i++) {
      gleanerPod("a" + i, nodes.get(0), "2", "offline", Map.of());
      gleanerPod("b" + i, nodes.get(1), "2", "offline", Map.of());
    }
    List<String> a = List.of("a1", "a2", "a3", "a4");
    List<String> b = List.of("b1", "b2", "b3", "b4");
    await()
        .atMost(WAIT)
        .until(() -> a.stream().allMatch(this::running) && b.stream().allMatch(this::running));
    startService(DeschedulerSettings.DEFAULTS.withEvictionPermitTimeout(Duration.ofMinutes(5)));

    onlinePod("web-a", "8", Map.of("kubernetes.io/hostname", nodes.get(0)));
    await().atMost(WAIT).until(() -> a.stream().filter(this::present).count() == 3);
    onlinePod("web-b", "4", Map.of("kubernetes.io/hostname", nodes.get(1)));

    await()
        .atMost(WAIT)
        .until(
            () ->
                plans.stream()
                    .flatMap(p -> p.reclaims().stream())
                    .anyMatch(r -> r.forPods().contains("default/web-b")));
    assertThat(victims("rate_limited") + victims("evicted"))
        .as("node 0's evictions are not all answered yet: three still wait for permits")
        .isZero();
    assertThat(a.stream().filter(this::present)).hasSize(3);
  }

  /**
   * One eviction a thousand seconds: node 0's reclaim sends one eviction and three wait for their
   * permits. The broker is told to place nothing more on node 0 meanwhile, not once the last is
   * answered: the room the first victim frees would otherwise take new Gleaner pods, each one more
   * victim in one more round before the online pod gets its room. The node stays labelled lent
   * until all its evictions are answered.
   */
  @Test
  void theBrokerStopsPlacingOnANodeWhileItsEvictionsWaitForPermits() {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setEviction(new EvictionLimits(0.001, 10));
    policy = PolicySource.fixed(spec.effective());
    for (int i = 1; i <= 4; i++) {
      gleanerPod("a" + i, nodes.get(0), "2", "offline", Map.of());
    }
    List<String> a = List.of("a1", "a2", "a3", "a4");
    await().atMost(WAIT).until(() -> a.stream().allMatch(this::running));
    startService(DeschedulerSettings.DEFAULTS.withEvictionPermitTimeout(Duration.ofMinutes(5)));

    onlinePod("web-a", "8", Map.of("kubernetes.io/hostname", nodes.get(0)));

    await().atMost(WAIT).until(() -> a.stream().filter(this::present).count() == 3);
    await()
        .atMost(WAIT)
        .until(
            () ->
                broker.withdrawals.stream()
                    .anyMatch(w -> w.getNode().getNode().equals(nodes.get(0))));
    assertThat(a.stream().filter(this::present))
        .as("three evictions still wait for their permits")
        .hasSize(3);
    assertThat(victims("rate_limited") + victims("evicted"))
        .as("the reclaim is not answered yet")
        .isZero();
    assertThat(client.nodes().withName(nodes.get(0)).get().getMetadata().getLabels())
        .as("handed back only once its evictions are answered")
        .containsKey(GleanerKeys.POOL);
  }

  /**
   * Node 0's reclaim takes the one permit there is and three of its evictions wait for theirs; then
   * this replica stops leading and the permits come (the policy allows a thousand a second): the
   * three are dropped as not_leader, never sent (a deposed leader acts on nothing).
   */
  @Test
  void evictionsWaitingWhenLeadershipIsLostAreNeverSent() {
    GleanerPolicySpec slow = new GleanerPolicySpec();
    slow.setEviction(new EvictionLimits(0.001, 10));
    io.gleaner.meta.policy.InMemoryPolicySource live =
        new io.gleaner.meta.policy.InMemoryPolicySource(slow.effective());
    policy = live;
    List<String> a = List.of("a1", "a2", "a3", "a4");
    for (String name : a) {
      gleanerPod(name, nodes.get(0), "2", "offline", Map.of());
    }
    await().atMost(WAIT).until(() -> a.stream().allMatch(this::running));
    startService(DeschedulerSettings.DEFAULTS.withEvictionPermitTimeout(Duration.ofMinutes(5)));

    onlinePod("web-a", "8", Map.of("kubernetes.io/hostname", nodes.get(0)));
    await().atMost(WAIT).until(() -> a.stream().filter(this::present).count() == 3);
    election.stop();
    GleanerPolicySpec fast = new GleanerPolicySpec();
    fast.setEviction(new EvictionLimits(1000.0, 10));
    live.set(fast.effective());

    await().atMost(WAIT).until(() -> victims("not_leader") + victims("evicted") == 4);
    assertThat(victims("not_leader")).isEqualTo(3);
    assertThat(a.stream().filter(this::present)).hasSize(3);
  }

  @Test
  void twoReplicasElectOneLeaderThroughZooKeeperAndOnlyItReclaims() throws Exception {
    gleanerPod("a1", nodes.get(0), "4", "offline", Map.of());
    gleanerPod("a2", nodes.get(0), "4", "offline", Map.of());
    gleanerPod("b1", nodes.get(1), "4", "offline", Map.of());
    gleanerPod("b2", nodes.get(1), "4", "offline", Map.of());
    await()
        .atMost(WAIT)
        .until(() -> running("a1") && running("a2") && running("b1") && running("b2"));
    try (org.apache.curator.test.TestingServer zk =
            new org.apache.curator.test.TestingServer(true);
        org.apache.curator.framework.CuratorFramework c1 =
            io.gleaner.meta.coord.Zk.connect(zk.getConnectString(), "it", Duration.ofSeconds(5));
        org.apache.curator.framework.CuratorFramework c2 =
            io.gleaner.meta.coord.Zk.connect(zk.getConnectString(), "it", Duration.ofSeconds(5))) {
      SimpleMeterRegistry r1 = new SimpleMeterRegistry();
      SimpleMeterRegistry r2 = new SimpleMeterRegistry();
      io.gleaner.meta.coord.ZkLeaderElection e1 =
          new io.gleaner.meta.coord.ZkLeaderElection(c1, "descheduler", "one");
      io.gleaner.meta.coord.ZkLeaderElection e2 =
          new io.gleaner.meta.coord.ZkLeaderElection(c2, "descheduler", "two");
      DeschedulerService one =
          new DeschedulerService(
              Clock.systemUTC(),
              r1,
              Map.of("m1", client),
              brokerChannel,
              e1,
              DeschedulerSettings.DEFAULTS,
              PolicySource.defaults(),
              null);
      DeschedulerService two =
          new DeschedulerService(
              Clock.systemUTC(),
              r2,
              Map.of("m1", cluster.apiServer().newClient()),
              brokerChannel,
              e2,
              DeschedulerSettings.DEFAULTS,
              PolicySource.defaults(),
              null);
      one.start();
      two.start();
      try {
        await().atMost(WAIT).until(() -> e1.isLeader() ^ e2.isLeader());
        onlinePod("web-z", "4", Map.of());
        await().atMost(WAIT).until(() -> running("web-z"));
        await()
            .during(Duration.ofSeconds(1))
            .atMost(WAIT)
            .until(
                () -> broker.withdrawals.stream().filter(WithdrawRequest::hasEvent).count() == 1);
        long gone =
            java.util.stream.Stream.of("a1", "a2", "b1", "b2").filter(n -> !present(n)).count();
        assertThat(gone).isEqualTo(1);
        SimpleMeterRegistry leader = e1.isLeader() ? r1 : r2;
        SimpleMeterRegistry follower = e1.isLeader() ? r2 : r1;
        assertThat(leader.find(DeschedulerMetrics.RECLAIMS).counters()).isNotEmpty();
        assertThat(follower.find(DeschedulerMetrics.RECLAIMS).counters()).isEmpty();
      } finally {
        one.stop();
        two.stop();
      }
    }
  }

  @Test
  void aPdbBlockMakesItChooseAnotherVictim() {
    client
        .policy()
        .v1()
        .podDisruptionBudget()
        .inNamespace("default")
        .resource(
            new PodDisruptionBudgetBuilder()
                .withNewMetadata()
                .withName("protect")
                .endMetadata()
                .withNewSpec()
                .withMaxUnavailable(new io.fabric8.kubernetes.api.model.IntOrString(0))
                .withNewSelector()
                .addToMatchLabels("protected", "yes")
                .endSelector()
                .endSpec()
                .build())
        .create();
    gleanerPod("older", nodes.get(0), "4", "offline", Map.of());
    await().atMost(WAIT).until(() -> running("older"));
    // The youngest offline pod is the first choice, but its PDB refuses.
    gleanerPod("younger", nodes.get(0), "4", "offline", Map.of("protected", "yes"));
    gleanerPod("full1", nodes.get(1), "4", "near-line", Map.of());
    gleanerPod("full2", nodes.get(1), "4", "near-line", Map.of());
    await().atMost(WAIT).until(() -> running("younger") && running("full1") && running("full2"));
    startService();

    onlinePod("web-2", "4", Map.of());

    await().atMost(WAIT).until(() -> running("web-2"));
    assertThat(present("younger")).isTrue();
    assertThat(present("older")).isFalse();
    assertThat(counter(DeschedulerMetrics.PDB_BLOCKS)).isGreaterThanOrEqualTo(1);
    assertThat(present("full1") && present("full2")).isTrue();
  }

  @Test
  void roomBeingFreedIsHeldForItsPodWhileTheNextBurstIsPlanned() {
    // node 0 is emptied for web-1: once its only Gleaner pod terminates, the node is returned and
    // leaves the lent
    // nodes; web-1 must keep the room reserved there instead of being planned again onto node 1
    gleanerPod("whole", nodes.get(0), "8", "offline", Map.of(), 8);
    gleanerPod("half-a", nodes.get(1), "4", "offline", Map.of());
    gleanerPod("half-b", nodes.get(1), "4", "offline", Map.of());
    await().atMost(WAIT).until(() -> running("whole") && running("half-a") && running("half-b"));
    startService();

    onlinePod("web-1", "8", Map.of());
    await().atMost(WAIT).until(() -> !present("whole"));
    await()
        .atMost(WAIT)
        .until(
            () ->
                Boolean.TRUE.equals(
                        client
                            .nodes()
                            .withName(nodes.get(0))
                            .get()
                            .getMetadata()
                            .getLabels()
                            .containsKey(GleanerKeys.POOL))
                    == false);
    onlinePod("web-2", "4", Map.of());

    await().atMost(WAIT).until(() -> !present("half-a") || !present("half-b"));
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(10))
        .until(() -> present("half-a") != present("half-b"));
    assertThat(
            plans.stream()
                .filter(
                    p ->
                        p.reclaims().stream().anyMatch(r -> r.forPods().contains("default/web-1"))))
        .as("web-1 is reclaimed for once")
        .hasSize(1);
    await().atMost(WAIT).until(() -> running("web-1") && running("web-2"));
    assertThat(present("half-a") != present("half-b"))
        .as("one 4-CPU victim for web-2, not both")
        .isTrue();
  }

  @Test
  void withoutAnOnlineScaleUpNothingIsEvicted() {
    gleanerPod("g1", nodes.get(0), "8", "offline", Map.of());
    gleanerPod("g2", nodes.get(1), "8", "offline", Map.of());
    await().atMost(WAIT).until(() -> running("g1") && running("g2"));
    startService();
    // An online pod that no lent node could ever take (selector matches none) must not cause
    // evictions either.
    onlinePod("web-zone-x", "1", Map.of("topology.kubernetes.io/zone", "nowhere"));

    await()
        .atMost(WAIT)
        .until(
            () ->
                plans.stream()
                    .anyMatch(
                        p ->
                            p.outcomeOf("default/web-zone-x")
                                .map(o -> o.outcome() == Outcome.NO_HELP)
                                .orElse(false)));
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(10))
        .until(() -> present("g1") && present("g2"));
    assertThat(plans).allMatch(p -> p.reclaims().isEmpty());
    assertThat(broker.withdrawals).isEmpty();
    assertThat(counter(DeschedulerMetrics.RECLAIMS)).isZero();
    assertThat(plans.get(0).outcomeOf("default/web-zone-x").orElseThrow().reason())
        .contains("even an empty lent node would not help")
        .contains("nodeSelector");
    // m1 runs no Volcano: plans come once API discovery said so, and no PodGroup was ever listed
    // there (a list meets a 404, which fabric8 logs as an ERROR with its stack)
    List<AuditEvent> requests = cluster.apiServer().security().audit().events();
    assertThat(requests)
        .anyMatch(
            e -> e.requestUri().equals("/apis/scheduling.volcano.sh/v1beta1") && e.code() == 404)
        .noneMatch(e -> e.requestUri().contains("/podgroups"));
  }
}
