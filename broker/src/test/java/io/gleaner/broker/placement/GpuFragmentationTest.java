package io.gleaner.broker.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Hand-computed fragmentation of small nodes against small mixes. */
class GpuFragmentationTest {
  private static final long GI = 1L << 30;

  private final GpuFragmentation f = new GpuFragmentation();

  /** Shapes observed once each with (almost) equal weight. */
  private static GpuShapeMix mix(long[]... shapes) {
    GpuShapeMix m = new GpuShapeMix(8, Integer.MAX_VALUE);
    int uid = 0;
    for (long[] s : shapes) {
      m.observe("p" + uid++, (int) s[0], (int) s[1], s[2], s[3]);
    }
    return m;
  }

  private static final long[] HALF = {1, 500, 1000, GI}; // half a device, 1 cpu
  private static final long[] ONE = {1, 1000, 4000, GI}; // one whole device, 4 cpu

  @Test
  void anEmptyMixSeesNoFragmentation() {
    assertThat(f.of(mix(), new int[] {300, 1000}, 2, 8000, 8 * GI)).isZero();
  }

  @Test
  void aShapeThatFitsCountsTheDevicesWithLessFreeThanItTakesOfOne() {
    int[] free = {1000, 300, 700};
    // half: 300 is below 500; one: 300 and 700 are partly used
    assertThat(f.of(mix(HALF), free, 3, 8000, 8 * GI)).isCloseTo(300, within(1e-6));
    assertThat(f.of(mix(ONE), free, 3, 8000, 8 * GI)).isCloseTo(1000, within(1e-6));
    assertThat(f.of(mix(HALF, ONE), free, 3, 8000, 8 * GI)).isCloseTo(650, within(1e-6));
  }

  @Test
  void aShapeThatDoesNotFitCountsAllFreeGpu() {
    int[] free = {1000, 300, 700};
    // cpu: one needs 4 cpu, 2 are free -> all 2000 free milli-GPU; half still fits -> 300
    assertThat(f.of(mix(HALF, ONE), free, 3, 2000, 8 * GI)).isCloseTo(1150, within(1e-6));
    // memory
    assertThat(f.of(mix(ONE), free, 3, 8000, GI - 1)).isCloseTo(2000, within(1e-6));
    // devices: two whole devices, one is free
    assertThat(f.of(mix(new long[] {2, 1000, 0, 0}), free, 3, 8000, 8 * GI))
        .isCloseTo(2000, within(1e-6));
    // a share larger than any device's free
    assertThat(f.of(mix(new long[] {1, 800, 0, 0}), new int[] {300, 700}, 2, 8000, 8 * GI))
        .isCloseTo(1000, within(1e-6));
  }

  @Test
  void aFullyFreeOrFullyUsedNodeHasNoFragmentsForShapesThatFit() {
    assertThat(f.of(mix(HALF, ONE), new int[] {1000, 1000}, 2, 8000, 8 * GI)).isZero();
    assertThat(f.of(mix(HALF, ONE), new int[] {0, 0}, 2, 8000, 8 * GI)).isZero();
  }

  @Test
  void weightsFollowTheShares() {
    // half observed twice (two pods), one once: (2 * 300 + 1000) / 3
    GpuShapeMix m = mix(HALF, HALF, ONE);
    assertThat(f.of(m, new int[] {1000, 300, 700}, 3, 8000, 8 * GI))
        .isCloseTo(1600.0 / 3, within(1e-6));
  }

  @Test
  void growthIsAfterLessBefore() {
    GpuShapeMix m = mix(HALF, ONE);
    int[] cap = {1000, 1000, 1000};
    int[] used = {0, 700, 300}; // free 1000, 300, 700: 650 before
    // half on the 700 device: free 1000, 300, 200 -> half 500, one 500
    assertThat(f.growth(m, cap, used, 8000, 8 * GI, 1000, GI, new int[] {2}, 1, 500))
        .isCloseTo(-150, within(1e-6));
    // half on the whole device: free 500, 300, 700 -> half 300, one does not fit: 1500
    assertThat(f.growth(m, cap, used, 8000, 8 * GI, 1000, GI, new int[] {0}, 1, 500))
        .isCloseTo(250, within(1e-6));
    // a cpu-only pod taking 5 of 8 cpu: one no longer fits -> one 1000 -> 2000
    assertThat(f.growth(m, cap, used, 8000, 8 * GI, 5000, GI, new int[0], 0, 0))
        .isCloseTo(500, within(1e-6));
  }

  @Test
  void usedBeyondTheDevicesOfTheOfferIsIgnored() {
    GpuShapeMix m = mix(ONE);
    assertThat(
            f.growth(
                m, new int[] {1000}, new int[] {0, 0, 0}, 8000, 8 * GI, 0, 0, new int[0], 0, 0))
        .isZero();
  }
}
