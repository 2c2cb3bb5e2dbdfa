package io.gleaner.broker.placement;

import static io.gleaner.broker.placement.Engines.NO_MARGINS;
import static io.gleaner.broker.placement.Engines.fit;
import static io.gleaner.broker.placement.Engines.node;
import static io.gleaner.broker.placement.Engines.place;
import static io.gleaner.broker.placement.Engines.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.broker.model.PodRequest;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.resources.Resources;
import org.junit.jupiter.api.Test;

/** ELASTIC capacity by class: near-line only, and only once the other sources are full. */
class ElasticPlacementTest {
  @Test
  void nearLineUsesElasticOnlyWhenNoOtherSourceHasRoomAndOfflineNever() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("cloud", "vm-0", CapacitySource.ELASTIC, "cpu", "16", "memory", "64Gi"));
    e.offer(node("online", "n1", "cpu", "4", "memory", "16Gi"));
    e.offer(node("colo", "c1", CapacitySource.COLOCATION, "cpu", "2", "memory", "8Gi"));

    assertThat(place(e, pod("a", "cpu", "4")).source()).isEqualTo(CapacitySource.IDLE);
    assertThat(place(e, pod("b", "cpu", "2")).source()).isEqualTo(CapacitySource.COLOCATION);
    assertThat(place(e, pod("c", "cpu", "4")).source()).isEqualTo(CapacitySource.ELASTIC);

    PodRequest offline = PodRequest.of("o", WorkloadClass.OFFLINE, Resources.of("cpu", "1"));
    assertThat(e.decide(offline)).isInstanceOf(PlacementEngine.Refusal.class);
    assertThat(place(e, pod("d", "cpu", "1")).source()).isEqualTo(CapacitySource.ELASTIC);
  }

  @Test
  void anOfflinePodWaitsEvenWhenOnlyElasticCouldHoldIt() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("online", "n1", "cpu", "2"));
    e.offer(node("cloud", "vm-0", CapacitySource.ELASTIC, "cpu", "16"));
    PodRequest offline = PodRequest.of("o", WorkloadClass.OFFLINE, Resources.of("cpu", "4"));
    assertThat(e.decide(offline)).isInstanceOf(PlacementEngine.Refusal.class);
    assertThat(fit(e, pod("n", "cpu", "4")).source()).isEqualTo(CapacitySource.ELASTIC);
  }
}
