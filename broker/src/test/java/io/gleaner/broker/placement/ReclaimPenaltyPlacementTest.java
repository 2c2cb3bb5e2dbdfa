package io.gleaner.broker.placement;

import static io.gleaner.broker.placement.Engines.NO_MARGINS;
import static io.gleaner.broker.placement.Engines.node;
import static io.gleaner.broker.placement.Engines.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.broker.model.NodeKey;
import io.gleaner.broker.model.NodeOffer;
import io.gleaner.broker.model.PodRequest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Placement passes over a recently reclaimed node while an equal one is free, for a while. */
class ReclaimPenaltyPlacementTest {
  private static final long MINUTE = 60_000L;
  private static final long COOL_DOWN = 30 * MINUTE;
  private static final long RECLAIMED = 1_000_000_000L;
  private static final long COOLED = RECLAIMED + COOL_DOWN;
  private static final PodRequest POD = pod("p", "cpu", "2", "memory", "1Gi");

  /** Equal nodes; the first offered wins a tie, so the reclaimed one would win without penalty. */
  private static PlacementEngine engine(String... names) {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    for (String n : names) {
      e.offer(node("a", n, "cpu", "8", "memory", "16Gi"));
    }
    return e;
  }

  private static String chosen(PlacementEngine e, long nowMs) {
    PlacementEngine.Decision d = e.decide(POD, nowMs);
    assertThat(d).isInstanceOf(PlacementEngine.Fit.class);
    return ((PlacementEngine.Fit) d).node().node();
  }

  /** The nodes in the order placement picks them: decide, take the node away, again. */
  private static List<String> order(PlacementEngine e, long nowMs) {
    List<String> out = new ArrayList<>();
    while (e.activeNodes() > 0) {
      String n = chosen(e, nowMs);
      out.add(n);
      e.withdraw(new NodeKey("a", n));
    }
    return out;
  }

  @Test
  void ofTwoEqualNodesTheRecentlyReclaimedOneIsChosenLastUntilThePenaltyEnds() {
    PlacementEngine e = engine("hot", "calm");
    assertThat(chosen(e, COOLED + MINUTE))
        .as("no reclaim: the tie goes to the first")
        .isEqualTo("hot");
    e.reclaimed(new NodeKey("a", "hot"), RECLAIMED, COOLED);
    assertThat(chosen(e, COOLED + MINUTE)).isEqualTo("calm");
    assertThat(chosen(e, COOLED + COOL_DOWN - 1)).isEqualTo("calm");
    assertThat(chosen(e, COOLED + COOL_DOWN)).as("the penalty has ended").isEqualTo("hot");
    assertThat(chosen(e, 0)).as("a decision without a clock sees no penalty").isEqualTo("hot");
  }

  @Test
  void theMoreRecentTheReclaimTheLaterTheNodeIsChosen() {
    PlacementEngine e = engine("recent", "earlier", "calm");
    e.reclaimed(new NodeKey("a", "recent"), RECLAIMED, COOLED);
    e.reclaimed(new NodeKey("a", "earlier"), RECLAIMED - 10 * MINUTE, COOLED - 10 * MINUTE);
    assertThat(order(e, COOLED + 5 * MINUTE)).containsExactly("calm", "earlier", "recent");
  }

  private static NodeOffer risky(NodeOffer o, double risk) {
    return new NodeOffer(
        o.key(),
        o.source(),
        o.usable(),
        o.labels(),
        o.taints(),
        risk,
        o.zone(),
        o.gpuFreeMilli(),
        o.observedAtMs(),
        o.allocatable(),
        o.roomUntilMs());
  }

  @Test
  void thePenaltyRanksWithTheOfferedReclaimRiskAndDecays() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "hot", "cpu", "8", "memory", "16Gi"));
    e.offer(risky(node("a", "risky", "cpu", "8", "memory", "16Gi"), 0.6));
    e.reclaimed(new NodeKey("a", "hot"), RECLAIMED, COOLED);
    // penalty 1 - 6/30 = 0.8 > 0.6, then 1 - 15/30 = 0.5 < 0.6
    assertThat(chosen(e, COOLED + 6 * MINUTE)).isEqualTo("risky");
    assertThat(chosen(e, COOLED + 15 * MINUTE)).isEqualTo("hot");
  }

  @Test
  void bestFitStillComesFirst() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "loose", "cpu", "16", "memory", "16Gi"));
    e.offer(node("a", "hot", "cpu", "4", "memory", "16Gi"));
    e.reclaimed(new NodeKey("a", "hot"), RECLAIMED, COOLED);
    assertThat(chosen(e, COOLED + MINUTE)).isEqualTo("hot");
  }

  @Test
  void theLastReclaimOutlastsAWithdrawalAndANewOfferUntilTheLedgerClearsIt() {
    PlacementEngine e = engine("hot", "calm");
    NodeKey hot = new NodeKey("a", "hot");
    e.reclaimed(hot, RECLAIMED, COOLED);
    e.withdraw(hot);
    e.offer(node("a", "hot", "cpu", "8", "memory", "16Gi"));
    assertThat(chosen(e, COOLED + MINUTE)).isEqualTo("calm");
    e.reclaimed(hot, 0, 0);
    e.withdraw(new NodeKey("a", "calm"));
    e.offer(node("a", "calm", "cpu", "8", "memory", "16Gi"));
    assertThat(chosen(e, COOLED + MINUTE)).isEqualTo("hot");
  }
}
