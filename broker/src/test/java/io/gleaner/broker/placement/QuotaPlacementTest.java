package io.gleaner.broker.placement;

import static io.gleaner.broker.placement.Engines.NO_MARGINS;
import static io.gleaner.broker.placement.Engines.node;
import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.broker.ledger.InMemoryLedgerStore;
import io.gleaner.broker.ledger.Ledger;
import io.gleaner.broker.model.MemberQuota;
import io.gleaner.broker.model.NodeKey;
import io.gleaner.broker.model.PlaceOutcome;
import io.gleaner.broker.model.Placement;
import io.gleaner.broker.model.PodRequest;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.meta.config.VirtualKubeletConfig;
import io.gleaner.meta.resources.Resources;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Member ResourceQuotas as a per-(member, namespace) cap on placement: hard − used − what is
 * reserved and not yet created.
 */
class QuotaPlacementTest {
  private static final Set<WorkloadClass> BOTH = EnumSet.allOf(WorkloadClass.class);

  private static PodRequest pod(String uid, String ns, WorkloadClass cls, String cpu) {
    return new PodRequest(
        uid, ns, uid, cls, Resources.of("cpu", cpu), Map.of(), List.of(), List.of(), 0, Set.of());
  }

  private static MemberQuota cpuQuota(
      String ns, String hardCpu, String usedCpu, Set<WorkloadClass> c) {
    return new MemberQuota(
        ns,
        "gleaner-cap",
        Map.of("cpu", Resources.of("cpu", hardCpu).cpuMillis()),
        Map.of("cpu", Resources.of("cpu", usedCpu).cpuMillis()),
        c);
  }

  private static Placement place(PlacementEngine e, PodRequest p) {
    PlacementEngine.Fit f = Engines.fit(e, p);
    Placement pl =
        new Placement(
            p.podUid(),
            p.namespace(),
            p.name(),
            f.node(),
            f.source(),
            p.workloadClass(),
            p.requests(),
            List.of(),
            0,
            0,
            false);
    e.reserve(pl);
    return pl;
  }

  private static PlacementEngine engine() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("m1", "n1", "cpu", "32", "memory", "64Gi"));
    return e;
  }

  @Test
  void aMemberTakesNoMoreThanItsQuotaLeavesCountingReservationsInFlight() {
    PlacementEngine e = engine();
    e.quotas("m1", "gleaner-ml", List.of(cpuQuota("gleaner-ml", "5", "0", BOTH)), List.of());

    Placement a = place(e, pod("a", "ml", WorkloadClass.OFFLINE, "2"));
    place(e, pod("b", "ml", WorkloadClass.NEAR_LINE, "2"));
    // 4 of 5 reserved: a third 2-CPU pod would take the namespace over its quota
    assertThat(Engines.refusal(e, pod("c", "ml", WorkloadClass.OFFLINE, "2")))
        .isEqualTo(
            "member m1: ResourceQuota gleaner-ml/gleaner-cap leaves cpu 1 of 5, the pod requests 2");
    place(e, pod("d", "ml", WorkloadClass.OFFLINE, "1"));
    // other namespaces have no quota
    place(e, pod("e", "other", WorkloadClass.OFFLINE, "8"));

    // a confirmed pod moves from in flight to the quota's used, as the member counts it
    e.confirm(a);
    e.quotas("m1", "gleaner-ml", List.of(cpuQuota("gleaner-ml", "5", "2", BOTH)), List.of());
    assertThat(Engines.noFit(e, pod("f", "ml", WorkloadClass.OFFLINE, "1")).reasons())
        .contains("1 nodes: their member's ResourceQuota is full");
    // a released reservation gives its room back
    e.release(a.confirm());
    e.quotas("m1", "gleaner-ml", List.of(cpuQuota("gleaner-ml", "5", "0", BOTH)), List.of());
    place(e, pod("g", "ml", WorkloadClass.OFFLINE, "2"));
  }

  @Test
  void aQuotaOfOneClassLeavesTheOtherAlone() {
    PlacementEngine e = engine();
    e.quotas(
        "m1",
        "gleaner-ml",
        List.of(cpuQuota("gleaner-ml", "1", "0", EnumSet.of(WorkloadClass.OFFLINE))),
        List.of());
    Engines.noFit(e, pod("a", "ml", WorkloadClass.OFFLINE, "2"));
    place(e, pod("b", "ml", WorkloadClass.NEAR_LINE, "2"));
  }

  @Test
  void aFullMemberSendsThePodToAnotherAndAWholeMemberCanBeExcluded() {
    PlacementEngine e = engine();
    e.offer(node("m2", "n2", "cpu", "4", "memory", "64Gi"));
    e.quotas("m1", "gleaner-ml", List.of(cpuQuota("gleaner-ml", "1", "0", BOTH)), List.of());
    assertThat(place(e, pod("a", "ml", WorkloadClass.OFFLINE, "2")).node().cluster())
        .isEqualTo("m2");

    PodRequest excluded =
        new PodRequest(
            "b",
            "other",
            "b",
            WorkloadClass.OFFLINE,
            Resources.of("cpu", "1"),
            Map.of(),
            List.of(),
            List.of(),
            0,
            Set.of(new NodeKey("m2", "")));
    assertThat(Engines.fit(e, excluded).node().cluster()).isEqualTo("m1");
  }

  @Test
  void estimatesAndTheLargestShapeStayWithinTheQuota() {
    PlacementEngine e = engine();
    e.quotas("m1", "gleaner-ml", List.of(cpuQuota("gleaner-ml", "5", "1", BOTH)), List.of());
    assertThat(e.estimate(pod("x", "ml", WorkloadClass.OFFLINE, "2"))).containsEntry("m1", 2L);
    assertThat(e.estimate(pod("x", "other", WorkloadClass.OFFLINE, "2"))).containsEntry("m1", 16L);
    // namespace-less figures: only a namespace every pod shares binds them
    assertThat(e.largestFree(WorkloadClass.OFFLINE).cpuMillis()).isEqualTo(32_000);

    PlacementEngine single =
        new PlacementEngine(
            NO_MARGINS,
            new VirtualKubeletConfig.NamespaceMapping(
                VirtualKubeletConfig.NamespaceMapping.Mode.SINGLE, null, "gleaner"));
    single.offer(node("m1", "n1", "cpu", "32", "memory", "64Gi"));
    single.offer(node("m2", "n2", "cpu", "4", "memory", "64Gi"));
    single.quotas("m1", "gleaner", List.of(cpuQuota("gleaner", "3", "0", BOTH)), List.of());
    assertThat(single.largestFree(WorkloadClass.OFFLINE).cpuMillis()).isEqualTo(4_000);
    assertThat(single.estimate(pod("x", "", WorkloadClass.OFFLINE, "1")))
        .containsEntry("m1", 3L)
        .containsEntry("m2", 4L);
  }

  @Test
  void reservationsMadeBeforeTheFirstQuotaCountOnceItComes() {
    Ledger ledger =
        new Ledger(
            new InMemoryLedgerStore(), NO_MARGINS, Clock.systemUTC(), Duration.ofMinutes(5), null);
    ledger.offer(node("m1", "n1", "cpu", "32", "memory", "64Gi"), "test");
    ledger.offer(node("m2", "n2", "cpu", "64", "memory", "64Gi"), "test");
    assertThat(cluster(ledger.place(pod("a", "ml", WorkloadClass.OFFLINE, "2")))).isEqualTo("m1");
    assertThat(cluster(ledger.place(pod("b", "ml", WorkloadClass.OFFLINE, "2")))).isEqualTo("m1");
    ledger.confirm("a"); // the member's quota counts it: used below

    ledger.quotas("m1", "gleaner-ml", List.of(cpuQuota("gleaner-ml", "5", "2", BOTH)));
    // used 2 + b reserved 2: a third 2-CPU pod does not fit m1's quota
    assertThat(cluster(ledger.place(pod("c", "ml", WorkloadClass.OFFLINE, "2")))).isEqualTo("m2");
    assertThat(cluster(ledger.place(pod("d", "ml", WorkloadClass.OFFLINE, "1")))).isEqualTo("m1");

    // the last quota gone, nothing is counted; one coming back counts what is reserved then
    ledger.quotas("m1", "gleaner-ml", List.of());
    ledger.release("d");
    ledger.quotas("m1", "gleaner-ml", List.of(cpuQuota("gleaner-ml", "5", "2", BOTH)));
    assertThat(cluster(ledger.place(pod("e", "ml", WorkloadClass.OFFLINE, "1")))).isEqualTo("m1");
    assertThat(cluster(ledger.place(pod("f", "ml", WorkloadClass.OFFLINE, "1")))).isEqualTo("m2");
  }

  private static String cluster(PlaceOutcome o) {
    assertThat(o).isInstanceOf(PlaceOutcome.Placed.class);
    return ((PlaceOutcome.Placed) o).placement().node().cluster();
  }
}
