package io.gleaner.broker.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.gleaner.broker.ledger.InMemoryLedgerStore;
import io.gleaner.broker.ledger.Ledger;
import io.gleaner.broker.model.NodeOffer;
import io.gleaner.broker.model.PlaceOutcome;
import io.gleaner.broker.model.Placement;
import io.gleaner.broker.model.PodRequest;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.broker.placement.PlacementPolicy;
import io.gleaner.meta.config.VirtualKubeletConfig;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.resources.Resources;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedApiServer;
import io.gleaner.sim.apiserver.ServerExtensions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The broker follows a member's ResourceQuota (the informer the member registry's handle runs) and
 * never reserves beyond it: what Gleaner has reserved and not created there plus what the quota
 * counts as used stays within its hard limit, pods beyond it go to another member, and a raised
 * limit is used.
 */
class MemberQuotaWatchIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String NS = "gleaner-ml";

  private static SimRuntime runtime;
  private SimulatedApiServer m1Server;
  private SharedIndexInformer<ResourceQuota> informer;
  private Ledger ledger;
  private KubernetesClient m1;

  @BeforeAll
  static void runtime() {
    runtime = SimRuntime.create();
  }

  @AfterAll
  static void closeRuntime() {
    runtime.close();
  }

  @BeforeEach
  void setUp() {
    m1Server = new SimulatedApiServer("m1", runtime, Clock.systemUTC(), ServerExtensions.NONE);
    m1 = m1Server.newClient();
    m1.namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
        .create();
    for (String pc : List.of(GleanerKeys.PRIORITY_OFFLINE, GleanerKeys.PRIORITY_NEAR_LINE)) {
      m1.scheduling()
          .v1()
          .priorityClasses()
          .resource(
              new PriorityClassBuilder()
                  .withNewMetadata()
                  .withName(pc)
                  .endMetadata()
                  .withValue(-200)
                  .withPreemptionPolicy("Never")
                  .build())
          .create();
    }
    m1.resourceQuotas().inNamespace(NS).resource(quota("5")).create();
    ledger =
        new Ledger(
            new InMemoryLedgerStore(),
            PlacementPolicy.defaults().withoutMargins(),
            Clock.systemUTC(),
            Duration.ofMinutes(5),
            null);
    // m1's node is the best fit for small pods; m2 has room for all of them
    ledger.offer(
        NodeOffer.of(
            "m1", "m1-n", CapacitySource.IDLE, Resources.of("cpu", "32", "memory", "64Gi")),
        "it");
    ledger.offer(
        NodeOffer.of(
            "m2", "m2-n", CapacitySource.IDLE, Resources.of("cpu", "64", "memory", "128Gi")),
        "it");
    // as memberAdded does with the member registry's handle of m1
    MemberQuotaWatch watch =
        new MemberQuotaWatch(ledger, VirtualKubeletConfig.DEFAULTS.namespaceMapping());
    informer = watch.informer("m1", m1);
    watch.follow("m1", informer);
  }

  @AfterEach
  void tearDown() {
    informer.stop();
    m1Server.close();
  }

  private static ResourceQuota quota(String cpu) {
    return new ResourceQuotaBuilder()
        .withNewMetadata()
        .withName("gleaner-cap")
        .withNamespace(NS)
        .endMetadata()
        .withNewSpec()
        .addToHard("requests.cpu", new Quantity(cpu))
        .withNewScopeSelector()
        .addNewMatchExpression()
        .withScopeName("PriorityClass")
        .withOperator("In")
        .withValues(GleanerKeys.PRIORITY_OFFLINE, GleanerKeys.PRIORITY_NEAR_LINE)
        .endMatchExpression()
        .endScopeSelector()
        .endSpec()
        .build();
  }

  private static PodRequest pod(String uid, String cpu) {
    return new PodRequest(
        uid,
        "ml",
        uid,
        WorkloadClass.OFFLINE,
        Resources.of("cpu", cpu),
        Map.of(),
        List.of(),
        List.of(),
        0,
        Set.of());
  }

  private String place(String uid, String cpu) {
    PlaceOutcome o = ledger.place(pod(uid, cpu));
    assertThat(o).as(uid).isInstanceOf(PlaceOutcome.Placed.class);
    assertWithinQuota();
    return ((PlaceOutcome.Placed) o).placement().node().cluster();
  }

  /** What the virtual-kubelet does once placed: the member pod, then Confirm. */
  private void create(String uid, String cpu) {
    m1.pods()
        .inNamespace(NS)
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(uid)
                .endMetadata()
                .withNewSpec()
                .withPriorityClassName(GleanerKeys.PRIORITY_OFFLINE)
                .addNewContainer()
                .withName("c")
                .withImage("worker")
                .withNewResources()
                .addToRequests("cpu", new Quantity(cpu))
                .endResources()
                .endContainer()
                .endSpec()
                .build())
        .create();
    ledger.confirm(uid);
  }

  private long usedMillis() {
    ResourceQuota q = m1.resourceQuotas().inNamespace(NS).withName("gleaner-cap").get();
    return Resources.of("cpu", q.getStatus().getUsed().get("requests.cpu").toString()).cpuMillis();
  }

  private long hardMillis() {
    ResourceQuota q = m1.resourceQuotas().inNamespace(NS).withName("gleaner-cap").get();
    return Resources.of("cpu", q.getSpec().getHard().get("requests.cpu").toString()).cpuMillis();
  }

  /** Reserved and not created in m1's namespace, plus what m1's quota counts: within the quota. */
  private void assertWithinQuota() {
    long inFlight =
        ledger.placements("m1").stream()
            .filter(p -> !p.confirmed() && p.namespace().equals("ml"))
            .mapToLong(p -> p.resources().cpuMillis())
            .sum();
    assertThat(inFlight + usedMillis()).isLessThanOrEqualTo(hardMillis());
  }

  private long estimateM1(String cpu) {
    return ledger.estimate(pod("estimate", cpu)).getOrDefault("m1", 0L);
  }

  @Test
  void aQuotaCappedMemberReceivesNoMoreThanItsQuota() {
    // the broker lists the quota at start: 5 CPU for Gleaner's pods in gleaner-ml
    await().atMost(WAIT).until(() -> estimateM1("1") == 5);

    assertThat(place("p0", "2")).isEqualTo("m1");
    assertThat(place("p1", "2")).isEqualTo("m1");
    // 4 of 5 reserved in m1: the next 2-CPU pod goes to m2, with room for it in m1's nodes
    assertThat(place("p2", "2")).isEqualTo("m2");

    create("p0", "2");
    create("p1", "2");
    await().atMost(WAIT).until(() -> usedMillis() == 4000 && estimateM1("1") == 1);
    assertWithinQuota();
    assertThat(place("p3", "1")).isEqualTo("m1");
    assertThat(place("p4", "1")).isEqualTo("m2");

    // the operator raises the quota: the broker uses the new room
    ResourceQuota q = m1.resourceQuotas().inNamespace(NS).withName("gleaner-cap").get();
    q.getSpec().getHard().put("requests.cpu", new Quantity("10"));
    m1.resourceQuotas().inNamespace(NS).resource(q).update();
    await().atMost(WAIT).until(() -> estimateM1("1") == 5);
    assertThat(place("p5", "2")).isEqualTo("m1");

    List<Placement> inM1 = ledger.placements("m1");
    assertThat(inM1)
        .extracting(Placement::podUid)
        .containsExactlyInAnyOrder("p0", "p1", "p3", "p5");
  }
}
