package io.gleaner.vk.translate;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeFailureTolerationsTest {
  private static final Toleration VK =
      new TolerationBuilder()
          .withKey("virtual-kubelet.io/provider")
          .withOperator("Equal")
          .withValue("gleaner")
          .withEffect("NoSchedule")
          .build();

  private static Toleration forever(String key) {
    return new TolerationBuilder()
        .withKey(key)
        .withOperator("Exists")
        .withEffect("NoExecute")
        .build();
  }

  @Test
  void bothAreAddedWithoutATimeLimit() {
    assertThat(NodeFailureTolerations.missing(List.of(VK)))
        .contains(
            List.of(
                VK,
                forever("node.kubernetes.io/not-ready"),
                forever("node.kubernetes.io/unreachable")));
    assertThat(NodeFailureTolerations.missing(null))
        .contains(
            List.of(
                forever("node.kubernetes.io/not-ready"),
                forever("node.kubernetes.io/unreachable")));
  }

  @Test
  void theDefault300SecondsAreLiftedInPlace() {
    Toleration defaulted =
        new TolerationBuilder(forever("node.kubernetes.io/not-ready"))
            .withTolerationSeconds(300L)
            .build();
    assertThat(NodeFailureTolerations.missing(List.of(defaulted, VK)))
        .contains(
            List.of(
                forever("node.kubernetes.io/not-ready"),
                VK,
                forever("node.kubernetes.io/unreachable")));
  }

  @Test
  void nothingChangesWhenThePodAlreadyToleratesBoth() {
    assertThat(
            NodeFailureTolerations.missing(
                List.of(
                    VK,
                    forever("node.kubernetes.io/not-ready"),
                    forever("node.kubernetes.io/unreachable"))))
        .isEmpty();
    Toleration everything = new TolerationBuilder().withOperator("Exists").build();
    assertThat(NodeFailureTolerations.missing(List.of(everything))).isEmpty();
  }

  @Test
  void aKeyToleratedOnlyForAValueOrAnotherEffectStillGetsTheUnlimitedOne() {
    Toleration equal =
        new TolerationBuilder()
            .withKey("node.kubernetes.io/unreachable")
            .withOperator("Equal")
            .withValue("x")
            .withEffect("NoExecute")
            .build();
    Toleration noSchedule =
        new TolerationBuilder()
            .withKey("node.kubernetes.io/not-ready")
            .withOperator("Exists")
            .withEffect("NoSchedule")
            .build();
    assertThat(NodeFailureTolerations.missing(List.of(equal, noSchedule)))
        .contains(
            List.of(
                equal,
                noSchedule,
                forever("node.kubernetes.io/not-ready"),
                forever("node.kubernetes.io/unreachable")));
  }
}
