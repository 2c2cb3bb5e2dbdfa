package io.gleaner.broker.placement;

import static io.gleaner.broker.placement.Engines.NO_MARGINS;
import static io.gleaner.broker.placement.Engines.fit;
import static io.gleaner.broker.placement.Engines.node;
import static io.gleaner.broker.placement.Engines.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.broker.model.PodRequest;
import org.junit.jupiter.api.Test;

/**
 * A pod that declares how long it runs prefers the member nodes whose forecast room outlasts it;
 * best fit decides among those, and among the others only when none lasts.
 */
class RoomUntilPreferenceTest {
  private static final long NOW = 1_000_000_000L;
  private static final long MINUTE = 60_000L;

  private static PlacementEngine.Fit fitAt(PlacementEngine e, PodRequest p) {
    PlacementEngine.Decision d = e.decide(p, NOW);
    assertThat(d).isInstanceOf(PlacementEngine.Fit.class);
    return (PlacementEngine.Fit) d;
  }

  private static PlacementEngine engine() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    // the tightest fit's room ends in 20 minutes; a looser one's in 2 hours; the loosest is not
    // forecast
    e.offer(node("a", "tight", "cpu", "4", "memory", "16Gi").withRoomUntil(NOW + 20 * MINUTE));
    e.offer(node("a", "later", "cpu", "8", "memory", "16Gi").withRoomUntil(NOW + 120 * MINUTE));
    e.offer(node("b", "open", "cpu", "16", "memory", "16Gi"));
    return e;
  }

  @Test
  void aPodThatOutlastsTheTightestRoomGoesWhereTheRoomLasts() {
    PodRequest p = pod("p", "cpu", "3", "memory", "1Gi").withExpectedRuntimeMs(30 * MINUTE);
    assertThat(fitAt(engine(), p).node().node()).isEqualTo("later");
  }

  @Test
  void aPodLongerThanEveryForecastRoomTakesANodeWithoutAForecast() {
    PodRequest p = pod("p", "cpu", "3", "memory", "1Gi").withExpectedRuntimeMs(180 * MINUTE);
    assertThat(fitAt(engine(), p).node().node()).isEqualTo("open");
  }

  @Test
  void aShortPodOrOneThatSaysNothingKeepsBestFit() {
    PlacementEngine e = engine();
    assertThat(
            fitAt(e, pod("p", "cpu", "3", "memory", "1Gi").withExpectedRuntimeMs(10 * MINUTE))
                .node()
                .node())
        .isEqualTo("tight");
    assertThat(fitAt(e, pod("q", "cpu", "3", "memory", "1Gi")).node().node()).isEqualTo("tight");
    assertThat(
            fit(e, pod("r", "cpu", "3", "memory", "1Gi").withExpectedRuntimeMs(180 * MINUTE))
                .node()
                .node())
        .as("without a clock there is nothing to compare")
        .isEqualTo("tight");
  }

  @Test
  void whenNoFeasibleRoomLastsTheBestFitOfTheShortOnesIsTaken() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "tight", "cpu", "4", "memory", "16Gi").withRoomUntil(NOW + 20 * MINUTE));
    e.offer(node("a", "loose", "cpu", "8", "memory", "16Gi").withRoomUntil(NOW + 40 * MINUTE));
    PodRequest p = pod("p", "cpu", "3", "memory", "1Gi").withExpectedRuntimeMs(60 * MINUTE);
    assertThat(fitAt(e, p).node().node()).isEqualTo("tight");
    // a node that lasts but cannot hold the pod does not count
    e.offer(node("b", "small", "cpu", "2", "memory", "16Gi"));
    assertThat(fitAt(e, p).node().node()).isEqualTo("tight");
  }
}
