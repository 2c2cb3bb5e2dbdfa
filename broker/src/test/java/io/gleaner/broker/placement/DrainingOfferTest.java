package io.gleaner.broker.placement;

import static io.gleaner.broker.placement.Engines.NO_MARGINS;
import static io.gleaner.broker.placement.Engines.node;
import static io.gleaner.broker.placement.Engines.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.broker.model.PodRequest;
import org.junit.jupiter.api.Test;

/**
 * A draining node (its room runs out within the source's lead time) takes only pods that declare a
 * run time ending by then, and such a pod goes there before any node whose room lasts: that room
 * serves any pod, the draining room only short ones.
 */
class DrainingOfferTest {
  private static final long NOW = 1_000_000_000L;
  private static final long MINUTE = 60_000L;

  private static PlacementEngine engine() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    // the draining node is the loosest fit: best fit alone would never pick it
    e.offer(node("a", "draining", "cpu", "16", "memory", "16Gi").draining(NOW + 20 * MINUTE));
    e.offer(node("b", "lasting", "cpu", "4", "memory", "16Gi"));
    return e;
  }

  private static String nodeFor(PlacementEngine e, PodRequest p) {
    PlacementEngine.Decision d = e.decide(p, NOW);
    return d instanceof PlacementEngine.Fit f ? f.node().node() : "refused";
  }

  @Test
  void aPodEndingBeforeTheRoomRunsOutGoesToTheDrainingNodeFirst() {
    assertThat(nodeFor(engine(), pod("p", "cpu", "3").withExpectedRuntimeMs(20 * MINUTE)))
        .as("ends exactly when the room runs out")
        .isEqualTo("draining");
  }

  @Test
  void aPodRunningLongerOrSayingNothingDoesNotGoThere() {
    PlacementEngine e = engine();
    assertThat(nodeFor(e, pod("long", "cpu", "3").withExpectedRuntimeMs(21 * MINUTE)))
        .isEqualTo("lasting");
    assertThat(nodeFor(e, pod("silent", "cpu", "3"))).isEqualTo("lasting");
    // too large for the lasting node: refused rather than sent where it would be evicted
    PlacementEngine.Decision d = e.decide(pod("big", "cpu", "8"), NOW);
    assertThat(d).isInstanceOf(PlacementEngine.Refusal.class);
    assertThat(((PlacementEngine.Refusal) d).noFit().reasons())
        .contains(
            "1 nodes: draining for online work; they take only pods whose declared expected run"
                + " time (gleaner.io/expected-runtime) ends before then");
    assertThat(nodeFor(e, pod("big3", "cpu", "8").withExpectedRuntimeMs(5 * MINUTE)))
        .isEqualTo("draining");
  }

  @Test
  void withoutAClockADrainingNodeTakesNothing() {
    PlacementEngine.Decision d =
        engine().decide(pod("p", "cpu", "8").withExpectedRuntimeMs(5 * MINUTE));
    assertThat(d).isInstanceOf(PlacementEngine.Refusal.class);
    PlacementEngine only = new PlacementEngine(NO_MARGINS);
    only.offer(node("a", "draining", "cpu", "16", "memory", "16Gi").draining(NOW + 20 * MINUTE));
    assertThat(((PlacementEngine.Refusal) only.decide(pod("p", "cpu", "1"), NOW)).noFit().message())
        .isEqualTo(
            "the only nodes with room are draining for online work and take only pods that"
                + " declare an expected run time (gleaner.io/expected-runtime) ending before"
                + " their room runs out");
  }

  @Test
  void aRefusalOfAPodWithoutARunTimeDoesNotRefuseAShortOne() {
    PlacementEngine e = engine();
    assertThat(nodeFor(e, pod("silent", "cpu", "8"))).isEqualTo("refused");
    assertThat(nodeFor(e, pod("short", "cpu", "8").withExpectedRuntimeMs(MINUTE)))
        .isEqualTo("draining");
    // once the node no longer drains, any pod may go there
    e.offer(node("a", "draining", "cpu", "16", "memory", "16Gi"));
    assertThat(nodeFor(e, pod("silent2", "cpu", "8"))).isEqualTo("draining");
  }
}
