package io.gleaner.broker.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class GpuShapeMixTest {
  @Test
  void aShapeIsCountedOncePerPodAndAgainForAnotherPod() {
    GpuShapeMix m = new GpuShapeMix(4, Integer.MAX_VALUE);
    assertThat(m.observe("a", 1, 500, 1000, 1)).isTrue();
    assertThat(m.observe("a", 1, 500, 1000, 1)).isFalse();
    assertThat(m.observe("b", 1, 500, 1000, 1)).isTrue();
    assertThat(m.size).isEqualTo(1);
    assertThat(m.weight[0]).isCloseTo(2, within(1e-6));
    assertThat(m.share(0)).isEqualTo(1.0);
  }

  @Test
  void shapesDifferByEveryField() {
    GpuShapeMix m = new GpuShapeMix(8, 10);
    m.observe("a", 1, 500, 1000, 1);
    m.observe("b", 1, 500, 1000, 2);
    m.observe("c", 1, 500, 2000, 1);
    m.observe("d", 1, 400, 1000, 1);
    m.observe("e", 2, 1000, 1000, 1);
    m.observe("f", 1, 1000, 1000, 1);
    assertThat(m.size).isEqualTo(6);
  }

  @Test
  void shapesAreSortedByTheirAmountPerDevice() {
    GpuShapeMix m = new GpuShapeMix(8, 10);
    m.observe("a", 2, 1000, 0, 0);
    m.observe("b", 1, 300, 0, 0);
    m.observe("c", 1, 700, 0, 0);
    m.observe("d", 1, 100, 0, 0);
    assertThat(java.util.Arrays.copyOf(m.perDevice, m.size)).containsExactly(100, 300, 700, 1000);
    assertThat(m.devices[3]).isEqualTo(2);
  }

  @Test
  void olderObservationsWeighLess() {
    // half-life 1: each observation weighs twice the one before
    GpuShapeMix m = new GpuShapeMix(4, 1);
    m.observe("a", 1, 300, 0, 0);
    m.observe("b", 1, 700, 0, 0);
    assertThat(m.share(0)).isCloseTo(1.0 / 3, within(1e-9));
    assertThat(m.share(1)).isCloseTo(2.0 / 3, within(1e-9));
    m.observe("c", 1, 300, 0, 0); // weights 1 + 4, 2
    assertThat(m.share(0)).isCloseTo(5.0 / 7, within(1e-9));
  }

  @Test
  void aFullMixDropsItsLightestShapeForANewOne() {
    GpuShapeMix m = new GpuShapeMix(2, 1);
    m.observe("a", 1, 300, 0, 0); // 1
    m.observe("b", 1, 700, 0, 0); // 2
    m.observe("c", 1, 300, 0, 0); // 300: 1 + 4
    m.observe("d", 1, 500, 0, 0); // drops 700 (2), 500: 8
    assertThat(java.util.Arrays.copyOf(m.perDevice, m.size)).containsExactly(300, 500);
    assertThat(m.share(0)).isCloseTo(5.0 / 13, within(1e-9));
    assertThat(m.total).isCloseTo(13, within(1e-9));
  }

  @Test
  void weightsStayFiniteOverLongRuns() {
    GpuShapeMix m = new GpuShapeMix(2, 1);
    for (int i = 0; i < 5000; i++) {
      m.observe("p" + i, 1, i % 2 == 0 ? 300 : 700, 0, 0);
    }
    assertThat(Double.isFinite(m.total)).isTrue();
    // the last (700) weighs twice the one before (300), and so on: 2/3 against 1/3
    assertThat(m.share(1)).isCloseTo(2.0 / 3, within(1e-9));
    assertThat(m.share(0) + m.share(1)).isCloseTo(1, within(1e-9));
  }

  @Test
  void aPodIsForgottenAfterManyOthers() {
    GpuShapeMix m = new GpuShapeMix(1, 1000);
    m.observe("a", 1, 300, 0, 0);
    for (int i = 0; i < 16; i++) {
      m.observe("p" + i, 1, 300, 0, 0);
    }
    assertThat(m.observe("a", 1, 300, 0, 0)).isTrue();
  }

  @Test
  void refusesAShapeWithoutGpu() {
    GpuShapeMix m = new GpuShapeMix();
    assertThatThrownBy(() -> m.observe("a", 0, 1000, 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new GpuShapeMix(0, 1)).isInstanceOf(IllegalArgumentException.class);
  }
}
