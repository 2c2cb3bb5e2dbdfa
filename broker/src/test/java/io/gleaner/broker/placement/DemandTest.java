package io.gleaner.broker.placement;

import static io.gleaner.broker.placement.Dimensions.CPU;
import static io.gleaner.broker.placement.Dimensions.GPU;
import static io.gleaner.broker.placement.Dimensions.MEM;
import static io.gleaner.broker.placement.Dimensions.PODS;
import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.resources.Resources;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DemandTest {
  private static final long GI = 1L << 30;

  private static Dimensions dims(String... names) {
    Dimensions d = new Dimensions();
    for (String n : names) {
      d.intern(n);
    }
    return d;
  }

  private static int[] nonZero(Demand d) {
    return Arrays.copyOf(d.dims, d.count);
  }

  @Test
  void aPodTakesAtLeastOneSlotAndListsTheDimensionsItNeeds() {
    Demand d = new Demand(dims(Resources.CPU, Resources.MEMORY));
    assertThat(d.fill(Resources.of("cpu", "2", "memory", "1Gi"), 0)).isTrue();
    assertThat(d.v[CPU]).isEqualTo(2000);
    assertThat(d.v[MEM]).isEqualTo(GI);
    assertThat(d.v[PODS]).isEqualTo(1);
    assertThat(d.v[GPU]).isZero();
    assertThat(nonZero(d)).containsExactly(CPU, MEM, PODS);
  }

  @Test
  void gpusCountInMilliAndAShareReplacesTheWholeDevice() {
    Demand d = new Demand(dims(Resources.CPU, Resources.GPU));
    d.fill(Resources.of("cpu", "1", "nvidia.com/gpu", "2"), 0);
    assertThat(d.v[GPU]).isEqualTo(2000);
    d.fill(Resources.of("cpu", "1", "nvidia.com/gpu", "1"), 300);
    assertThat(d.v[GPU]).isEqualTo(300);
    assertThat(nonZero(d)).containsExactly(CPU, PODS, GPU);
  }

  @Test
  void aResourceNoOfferNamedMakesTheRequestUnknownButTheRestIsFilled() {
    Dimensions names = dims(Resources.CPU);
    Demand d = new Demand(names);
    assertThat(d.fill(Resources.of("cpu", "1", "example.com/fpga", "1"), 0)).isFalse();
    assertThat(d.v[CPU]).isEqualTo(1000);
    // memory is a fixed dimension, but no offer has named it yet
    assertThat(d.fill(Resources.of("memory", "1Gi"), 0)).isFalse();
  }

  @Test
  void theSameRequestIsReusedUntilADimensionIsAdded() {
    Dimensions names = dims(Resources.CPU);
    Demand d = new Demand(names);
    Resources req = Resources.of("cpu", "1", "example.com/fpga", "1");
    assertThat(d.fill(req, 0)).isFalse();
    assertThat(d.fill(req, 0)).isFalse();
    int fpga = names.intern("example.com/fpga");
    assertThat(d.fill(req, 0)).isTrue();
    assertThat(d.v).hasSize(Dimensions.FIXED + 1);
    assertThat(d.v[fpga]).isEqualTo(1);
    assertThat(nonZero(d)).containsExactly(CPU, PODS, fpga);
  }

  @Test
  void theKeyDimensionIsGpuWhenRequestedElseTheLargerShareOfCpuOrMemory() {
    Demand d = new Demand(dims(Resources.CPU, Resources.MEMORY, Resources.GPU));
    long[] lent = {100_000, 100 * GI, 0, 8000};
    d.fill(Resources.of("cpu", "10", "memory", "1Gi"), 0);
    assertThat(d.keyIndex(lent)).isEqualTo(0);
    d.fill(Resources.of("cpu", "1", "memory", "20Gi"), 0);
    assertThat(d.keyIndex(lent)).isEqualTo(1);
    d.fill(Resources.of("cpu", "10", "memory", "1Gi", "nvidia.com/gpu", "1"), 0);
    assertThat(d.keyIndex(lent)).isEqualTo(2);
    // nothing lent of memory: any memory request is the largest share
    d.fill(Resources.of("cpu", "50", "memory", "1Mi"), 0);
    assertThat(d.keyIndex(new long[] {100_000, 0, 0, 0})).isEqualTo(1);
  }
}
