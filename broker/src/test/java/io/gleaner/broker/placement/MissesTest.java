package io.gleaner.broker.placement;

import static io.gleaner.broker.placement.Dimensions.CPU;
import static io.gleaner.broker.placement.Dimensions.MEM;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MissesTest {
  @Test
  void countsNodesPerReasonAndKeepsTheSmallestShortfall() {
    Misses m = new Misses();
    m.reset(Dimensions.FIXED);
    assertThat(m.lacks(CPU, 500)).isEqualTo(Misses.DIM + CPU);
    m.add(m.lacks(CPU, 200), 1);
    m.add(m.lacks(CPU, 900), 1);
    m.add(Misses.TAINT, 3);
    m.add(Misses.DIM + MEM, 4);
    assertThat(m.lacking(CPU)).isEqualTo(2);
    assertThat(m.closest(CPU)).isEqualTo(200);
    assertThat(m.lacking(MEM)).isEqualTo(4);
    assertThat(m.closest(MEM)).isZero();
    assertThat(m.count(Misses.TAINT)).isEqualTo(3);
    assertThat(m.count(Misses.SELECTOR)).isZero();
  }

  @Test
  void resetForgetsTheLastDecisionAndMakesRoomForNewDimensions() {
    Misses m = new Misses();
    m.reset(Dimensions.FIXED);
    m.add(m.lacks(CPU, 200), 1);
    m.reset(Dimensions.FIXED);
    assertThat(m.lacking(CPU)).isZero();
    assertThat(m.closest(CPU)).isZero();
    int extended = Dimensions.FIXED;
    m.reset(Dimensions.FIXED + 1);
    m.add(m.lacks(extended, 7), 2);
    assertThat(m.lacking(extended)).isEqualTo(2);
    assertThat(m.closest(extended)).isEqualTo(7);
  }
}
