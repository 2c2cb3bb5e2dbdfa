package io.gleaner.broker.placement;

import static io.gleaner.broker.placement.Dimensions.CPU;
import static io.gleaner.broker.placement.Dimensions.GPU;
import static io.gleaner.broker.placement.Dimensions.MEM;
import static io.gleaner.broker.placement.Dimensions.PODS;
import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.resources.Resources;
import org.junit.jupiter.api.Test;

class DimensionsTest {
  @Test
  void theFixedDimensionsComeFirstAndExtendedOnesInOrderOfAppearance() {
    Dimensions d = new Dimensions();
    assertThat(d.count()).isEqualTo(Dimensions.FIXED);
    assertThat(d.find(Resources.CPU)).isNull();
    assertThat(d.intern(Resources.GPU)).isEqualTo(GPU);
    assertThat(d.intern("example.com/fpga")).isEqualTo(Dimensions.FIXED);
    assertThat(d.intern(Resources.MEMORY)).isEqualTo(MEM);
    assertThat(d.intern("example.com/nic")).isEqualTo(Dimensions.FIXED + 1);
    assertThat(d.intern("example.com/fpga")).isEqualTo(Dimensions.FIXED);
    assertThat(d.count()).isEqualTo(Dimensions.FIXED + 2);
    assertThat(d.find("example.com/nic")).isEqualTo(Dimensions.FIXED + 1);
    assertThat(d.find(Resources.CPU)).isNull();
    assertThat(d.name(Dimensions.FIXED + 1)).isEqualTo("example.com/nic");
    assertThat(d.name(PODS)).isEqualTo(Resources.PODS);
  }

  @Test
  void amountsReadAsKubernetesQuantitiesGpusAsDevices() {
    Dimensions d = new Dimensions();
    assertThat(d.unit(CPU)).isEqualTo("CPU");
    assertThat(d.unit(GPU)).isEqualTo("GPU");
    assertThat(d.unit(MEM)).isEqualTo("memory");
    assertThat(d.format(CPU, 1500)).isEqualTo("1500m");
    assertThat(d.format(CPU, 2000)).isEqualTo("2");
    assertThat(d.format(MEM, 1L << 30)).isEqualTo("1Gi");
    assertThat(d.format(GPU, 2000)).isEqualTo("2");
    assertThat(d.format(GPU, 250)).isEqualTo("250m");
    assertThat(d.format(PODS, 3)).isEqualTo("3");
    assertThat(d.format(PODS, Dimensions.UNBOUNDED_PODS)).isEqualTo("unbounded");
  }
}
