package io.gleaner.sandbox.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RollingRestartOrderTest {
  @Test
  void followersGoFirstInTheirOrderAndTheLeaderLast() {
    assertThat(RollingRestartOrder.of(List.of(2181, 2182, 2183), Optional.of(2181)))
        .containsExactly(2182, 2183, 2181);
    assertThat(RollingRestartOrder.of(List.of(2181, 2182, 2183), Optional.of(2182)))
        .containsExactly(2181, 2183, 2182);
    assertThat(RollingRestartOrder.of(List.of(2181, 2182, 2183), Optional.of(2183)))
        .containsExactly(2181, 2182, 2183);
  }

  @Test
  void withoutALeaderTheServersKeepTheirOrder() {
    assertThat(RollingRestartOrder.of(List.of(3, 1, 2), Optional.empty())).containsExactly(3, 1, 2);
  }

  @Test
  void aLeaderOutsideTheEnsembleOrAServerNamedTwiceIsRefused() {
    assertThatThrownBy(() -> RollingRestartOrder.of(List.of(1, 2, 3), Optional.of(4)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("4");
    assertThatThrownBy(() -> RollingRestartOrder.of(List.of(1, 2, 2), Optional.of(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("twice");
  }
}
