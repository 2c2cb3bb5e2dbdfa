package io.gleaner.broker.placement;

import static io.gleaner.broker.placement.Engines.NO_MARGINS;
import static io.gleaner.broker.placement.Engines.node;
import static io.gleaner.broker.placement.Engines.place;
import static io.gleaner.broker.placement.Engines.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.broker.model.PodRequest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GangPlacementTest {

  private static List<PodRequest> gang(int n, String cpu) {
    List<PodRequest> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(pod("g-" + i, "cpu", cpu, "memory", "1Gi"));
    }
    return out;
  }

  @Test
  void aGangGoesWholeToTheOneMemberThatHoldsIt() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    // a: room for 2 pods of 4 CPU; b: room for 3; c: room for 4 (on two nodes)
    e.offer(node("a", "a1", "cpu", "8", "memory", "64Gi", "pods", "110"));
    e.offer(node("b", "b1", "cpu", "8", "memory", "64Gi", "pods", "110"));
    e.offer(node("b", "b2", "cpu", "4", "memory", "64Gi", "pods", "110"));
    e.offer(node("c", "c1", "cpu", "8", "memory", "64Gi", "pods", "110"));
    e.offer(node("c", "c2", "cpu", "8", "memory", "64Gi", "pods", "110"));

    PlacementEngine.GangDecision d = e.decideGang(gang(4, "4"), null);

    assertThat(d).isInstanceOf(PlacementEngine.GangFit.class);
    PlacementEngine.GangFit fit = (PlacementEngine.GangFit) d;
    assertThat(fit.cluster()).isEqualTo("c");
    assertThat(fit.fits()).hasSize(4).allMatch(f -> f.node().cluster().equals("c"));
    // two pods per node: the tentative reservations kept them from sharing one pod's room
    assertThat(fit.fits().stream().map(f -> f.node().node()).distinct()).hasSize(2);
    // nothing stays reserved after a decision
    assertThat(e.freeOf(fit.fits().get(0).node()).cpuMillis()).isEqualTo(8000);
  }

  @Test
  void aGangNoMemberHoldsWholeIsRefusedAndReservesNothing() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "a1", "cpu", "8", "memory", "64Gi", "pods", "110"));
    e.offer(node("b", "b1", "cpu", "12", "memory", "64Gi", "pods", "110"));

    // 4 x 4 CPU = 16: the federation has 20 free, but no member has 16
    PlacementEngine.GangDecision d = e.decideGang(gang(4, "4"), null);

    assertThat(d).isInstanceOf(PlacementEngine.GangRefusal.class);
    assertThat(((PlacementEngine.GangRefusal) d).noFit().message())
        .startsWith("no member cluster can hold all 4 pods of the gang together; the closest, b,")
        .contains("holds 3, then: ")
        .as("the closest member's refusal is explained")
        .doesNotContain("no node of the member has room");
    assertThat(((PlacementEngine.GangRefusal) d).noFit().reasons())
        .anyMatch(r -> r.contains("insufficient cpu"));
    assertThat(e.freeOf(new io.gleaner.broker.model.NodeKey("a", "a1")).cpuMillis())
        .isEqualTo(8000);
    assertThat(e.freeOf(new io.gleaner.broker.model.NodeKey("b", "b1")).cpuMillis())
        .isEqualTo(12000);
    // single pods still place as before
    assertThat(place(e, pod("single", "cpu", "4")).node().cluster()).isIn("a", "b");
  }

  @Test
  void aGangRestrictedToOneMemberStaysThere() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "a1", "cpu", "16", "memory", "64Gi", "pods", "110"));
    e.offer(node("b", "b1", "cpu", "4", "memory", "64Gi", "pods", "110"));

    assertThat(e.decideGang(gang(2, "4"), "b")).isInstanceOf(PlacementEngine.GangRefusal.class);
    PlacementEngine.GangDecision one = e.decideGang(gang(1, "4"), "b");
    assertThat(((PlacementEngine.GangFit) one).fits().get(0).node().cluster()).isEqualTo("b");
  }

  @Test
  void withinItsMemberAGangTakesTheTightestNodesAndIgnoresOtherMembers() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    // the tightest node of the federation is in a; the gang is restricted to b
    e.offer(node("a", "a1", "cpu", "4", "memory", "64Gi", "pods", "110"));
    e.offer(node("b", "b1", "cpu", "32", "memory", "64Gi", "pods", "110"));
    e.offer(node("b", "b2", "cpu", "6", "memory", "64Gi", "pods", "110"));
    e.offer(node("b", "b3", "cpu", "12", "memory", "64Gi", "pods", "110"));
    e.offer(node("b", "gone", "cpu", "4", "memory", "64Gi", "pods", "110"));
    e.withdraw(new io.gleaner.broker.model.NodeKey("b", "gone"));

    PlacementEngine.GangFit fit = (PlacementEngine.GangFit) e.decideGang(gang(3, "4"), "b");

    // best fit, each pod seeing the ones before it: b2 (2 left), then b3 (8), then b3 (4)
    assertThat(fit.fits()).extracting(f -> f.node().node()).containsExactly("b2", "b3", "b3");
  }

  @Test
  void withinItsMemberAGangKeepsTheSourceOrder() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(
        node(
            "b",
            "volcano",
            io.gleaner.meta.crd.CapacitySource.VOLCANO,
            "cpu",
            "4",
            "memory",
            "64Gi",
            "pods",
            "110"));
    e.offer(node("b", "idle", "cpu", "16", "memory", "64Gi", "pods", "110"));

    PlacementEngine.GangFit fit = (PlacementEngine.GangFit) e.decideGang(gang(1, "4"), "b");
    assertThat(fit.fits().get(0).node().node())
        .as("idle (near-line's first source) before a tighter volcano node")
        .isEqualTo("idle");

    PlacementEngine.GangDecision tooBig = e.decideGang(gang(2, "16"), "b");
    assertThat(tooBig).isInstanceOf(PlacementEngine.GangRefusal.class);
    assertThat(((PlacementEngine.GangRefusal) tooBig).noFit().message()).contains("holds 1");
  }
}
