package io.gleaner.descheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.gleaner.api.v1.BrokerGrpc;
import io.gleaner.api.v1.Capacity;
import io.gleaner.api.v1.CapacityRequest;
import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.api.v1.TeamShare;
import io.gleaner.api.v1.WithdrawRequest;
import io.gleaner.api.v1.WithdrawResponse;
import io.gleaner.descheduler.plan.Plan;
import io.gleaner.descheduler.plan.Reason;
import io.gleaner.meta.coord.AlwaysLeader;
import io.gleaner.meta.crd.GleanerPolicySpec;
import io.gleaner.meta.crd.TeamSpec;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.policy.PolicySource;
import io.gleaner.meta.time.AcceleratedClock;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedCluster;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Reclaim for a guarantee on two simulated members (issue 19): a team below its guarantee with pods
 * waiting gets room from the team furthest above its fair share, within one reclaim cycle, the
 * nodes staying lent.
 */
class GuaranteeReclaimIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** A broker offering 16 cores, all advertised, with 8 cores of team ads waiting. */
  static final class FakeBroker extends BrokerGrpc.BrokerImplBase {
    final AtomicInteger capacityCalls = new AtomicInteger();
    final AtomicInteger withdrawCalls = new AtomicInteger();

    @Override
    public void getCapacity(CapacityRequest request, StreamObserver<Capacity> response) {
      capacityCalls.incrementAndGet();
      response.onNext(
          Capacity.newBuilder()
              .putOffered("cpu", "16")
              .putOffered("memory", "64Gi")
              .putAdvertised("cpu", "16")
              .putAdvertised("memory", "64Gi")
              .addTeams(
                  TeamShare.newBuilder()
                      .setTeam("ads")
                      .setPendingPods(2)
                      .putWaiting("cpu", "8")
                      .putWaiting("memory", "2Gi"))
              .build());
      response.onCompleted();
    }

    @Override
    public void withdraw(WithdrawRequest request, StreamObserver<WithdrawResponse> response) {
      withdrawCalls.incrementAndGet();
      response.onNext(WithdrawResponse.newBuilder().setWithdrawn(true).build());
      response.onCompleted();
    }
  }

  private final SimRuntime runtime = SimRuntime.create();
  private final SimulatedCluster m1 = member("m1");
  private final SimulatedCluster m2 = member("m2");
  private final FakeBroker broker = new FakeBroker();
  private final List<Plan> plans = new CopyOnWriteArrayList<>();
  private final List<ReclaimEvent> events = new CopyOnWriteArrayList<>();
  private Server brokerServer;
  private ManagedChannel brokerChannel;
  private DeschedulerService service;

  private SimulatedCluster member(String name) {
    return SimulatedCluster.builder(name)
        .runtime(runtime)
        .preemption(false)
        .nodes(NodeShape.of(1, "8", "32Gi").withLabel(GleanerKeys.POOL, "idle"))
        .build();
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    if (service != null) {
      service.stop();
    }
    if (brokerChannel != null) {
      brokerChannel.shutdownNow();
      brokerServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    m1.close();
    m2.close();
    runtime.close();
  }

  @Test
  void aTeamBelowItsGuaranteeGetsRoomFromTheTeamFurthestAboveItsShare() throws Exception {
    // ml holds 12 of the 16 cores, search 4, ads (guaranteed 8) none and waits for 8. Fair shares:
    // ads its 0.5, ml and search 0.25 each: search is at its share and gives nothing, ml gives
    // its two offline pods (class order keeps its near-line pod), one on each member.
    gleanerPod(m1, "ml-near", "ml-ns", "near-line");
    gleanerPod(m1, "ml-a", "ml-ns", "offline");
    gleanerPod(m2, "ml-b", "ml-ns", "offline");
    gleanerPod(m2, "search-a", "search-ns", "offline");
    await()
        .atMost(WAIT)
        .until(
            () ->
                running(m1, "ml-near")
                    && running(m1, "ml-a")
                    && running(m2, "ml-b")
                    && running(m2, "search-a"));
    Map<String, Map<String, String>> notedAtEviction = new ConcurrentHashMap<>();
    List<Watch> watches =
        List.of(m1, m2).stream().map(c -> watchEvictions(c, notedAtEviction)).toList();
    brokerServer =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(broker)
            .build()
            .start();
    brokerChannel =
        NettyChannelBuilder.forAddress("127.0.0.1", brokerServer.getPort()).usePlaintext().build();
    startService();

    await().atMost(WAIT).until(() -> gone(m1, "ml-a") && gone(m2, "ml-b"));
    List<Plan> evicting = plans.stream().filter(p -> !p.reclaims().isEmpty()).toList();
    assertThat(evicting)
        .flatExtracting(Plan::reclaims)
        .allSatisfy(
            r -> {
              assertThat(r.reason()).isEqualTo(Reason.TEAM_GUARANTEE);
              assertThat(r.forPods()).containsExactly("team:ads");
              assertThat(r.handBack()).isFalse();
            });
    assertThat(evicting)
        .flatExtracting(Plan::reclaims)
        .flatExtracting(r -> r.victims().stream().map(v -> v.pod().name()).toList())
        .containsExactlyInAnyOrder("ml-a", "ml-b");
    await().atMost(WAIT).until(() -> events.size() == 2);
    assertThat(events).allMatch(e -> e.getReason().equals("TeamGuarantee"));
    // each victim says why as it goes, for the virtual-kubelet to name in its metadata pod
    await().atMost(WAIT).until(() -> notedAtEviction.keySet().containsAll(Set.of("ml-a", "ml-b")));
    watches.forEach(Watch::close);
    assertThat(notedAtEviction)
        .allSatisfy(
            (pod, annotations) -> {
              assertThat(annotations).containsEntry(GleanerKeys.RECLAIM_REASON, "TeamGuarantee");
              assertThat(annotations.get(GleanerKeys.RECLAIM_MESSAGE))
                  .contains("team ads", "guaranteed share");
            });

    // the next cycles find the room freed (ads still waits: the fake broker says so) and evict
    // nothing more; the nodes stay lent and offered
    int after = broker.capacityCalls.get();
    await().atMost(WAIT).until(() -> broker.capacityCalls.get() >= after + 2);
    assertThat(plans.stream().mapToInt(Plan::victimCount).sum()).isEqualTo(2);
    assertThat(running(m1, "ml-near") && running(m2, "search-a")).isTrue();
    assertThat(broker.withdrawCalls.get()).isZero();
    assertThat(m1.client().nodes().list().getItems().get(0).getMetadata().getLabels())
        .containsKey(GleanerKeys.POOL);
  }

  private void startService() {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    TeamSpec ads = new TeamSpec("ads", List.of("ads-ns"), 2.0);
    ads.setGuarantee(Map.of("cpu", new Quantity("8")));
    spec.setTeams(
        List.of(
            new TeamSpec("ml", List.of("ml-ns"), 1.0),
            new TeamSpec("search", List.of("search-ns"), 1.0),
            ads));
    service =
        new DeschedulerService(
            // twenty times faster: a reclaim cycle (the pool read every 10 s) each half real second
            AcceleratedClock.startingNow(20),
            new SimpleMeterRegistry(),
            Map.of("m1", m1.client(), "m2", m2.client()),
            brokerChannel,
            new AlwaysLeader("it"),
            DeschedulerSettings.DEFAULTS,
            PolicySource.fixed(spec.effective()),
            null);
    service.addPlanListener(plans::add);
    service.hub().addListener(events::add);
    service.start();
    await().atMost(WAIT).until(() -> service.readyMembers().equals(Set.of("m1", "m2")));
  }

  /**
   * Records a pod's annotations the first time it is seen evicted (DisruptionTarget, or deleted):
   * what the virtual-kubelet reads when it fails the metadata pod.
   */
  private static Watch watchEvictions(SimulatedCluster c, Map<String, Map<String, String>> into) {
    return c.client()
        .pods()
        .inNamespace("default")
        .watch(
            new Watcher<Pod>() {
              @Override
              public void eventReceived(Action action, Pod p) {
                boolean evicted =
                    p.getMetadata().getDeletionTimestamp() != null
                        || action == Action.DELETED
                        || (p.getStatus() != null
                            && p.getStatus().getConditions().stream()
                                .anyMatch(
                                    x ->
                                        "DisruptionTarget".equals(x.getType())
                                            && "True".equals(x.getStatus())));
                if (evicted) {
                  Map<String, String> a = p.getMetadata().getAnnotations();
                  into.putIfAbsent(p.getMetadata().getName(), a == null ? Map.of() : Map.copyOf(a));
                }
              }

              @Override
              public void onClose(WatcherException cause) {}
            });
  }

  /** Creates a Gleaner member pod of 4 cores for a metadata pod of {@code metaNamespace}. */
  private static void gleanerPod(
      SimulatedCluster c, String name, String metaNamespace, String podClass) {
    c.client()
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
                .addToAnnotations(GleanerKeys.META_NAMESPACE, metaNamespace)
                .endMetadata()
                .withNewSpec()
                .withNodeName(c.nodeNames().iterator().next())
                .withPriority(-10)
                .withPreemptionPolicy("Never")
                .withTerminationGracePeriodSeconds(1L)
                .addNewContainer()
                .withName("main")
                .withImage("busybox")
                .withNewResources()
                .addToRequests("cpu", new Quantity("4"))
                .addToRequests("memory", new Quantity("1Gi"))
                .endResources()
                .endContainer()
                .endSpec()
                .build())
        .create();
  }

  private static boolean running(SimulatedCluster c, String name) {
    Pod p = c.client().pods().inNamespace("default").withName(name).get();
    return p != null
        && p.getMetadata().getDeletionTimestamp() == null
        && p.getStatus() != null
        && "Running".equals(p.getStatus().getPhase());
  }

  private static boolean gone(SimulatedCluster c, String name) {
    Pod p = c.client().pods().inNamespace("default").withName(name).get();
    return p == null || p.getMetadata().getDeletionTimestamp() != null;
  }
}
