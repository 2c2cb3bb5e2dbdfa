package io.gleaner.broker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gleaner.broker.model.NodeSelectorRequirement.Operator;
import io.gleaner.meta.resources.Resources;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModelTest {
  private static final Map<String, String> LABELS = Map.of("zone", "a", "gen", "5", "name", "x");

  @ParameterizedTest(name = "{0} {1} {2} -> {3}")
  @CsvSource(
      delimiter = ';',
      value = {
        "zone; In; a|b; true",
        "zone; In; b; false",
        "zone; NotIn; b; true",
        "zone; NotIn; a; false",
        "absent; NotIn; a; true",
        "zone; Exists; ; true",
        "absent; Exists; ; false",
        "absent; DoesNotExist; ; true",
        "zone; DoesNotExist; ; false",
        "gen; Gt; 4; true",
        "gen; Gt; 5; false",
        "gen; Lt; 6; true",
        "gen; Lt; 5; false",
        "name; Gt; 1; false",
        "absent; Lt; 9; false"
      })
  void nodeSelectorOperatorsFollowKubernetes(
      String key, String op, String values, boolean expected) {
    List<String> v = values == null ? List.of() : List.of(values.split("\\|"));
    assertThat(new NodeSelectorRequirement(key, Operator.valueOf(op), v).matches(LABELS))
        .isEqualTo(expected);
  }

  @Test
  void termsAndRequirementsCombineLikeKubernetes() {
    var inA = new NodeSelectorRequirement("zone", Operator.In, List.of("a"));
    var gen9 = new NodeSelectorRequirement("gen", Operator.Gt, List.of("9"));
    assertThat(new NodeSelectorTerm(List.of(inA, gen9)).matches(LABELS)).isFalse();
    assertThat(NodeSelectorTerm.of(inA).matches(LABELS)).isTrue();
    assertThat(new NodeSelectorTerm(List.of()).matches(LABELS)).isFalse();
  }

  @Test
  void badSelectorsAndTolerationsAreNamed() {
    assertThatThrownBy(() -> new NodeSelectorRequirement("gen", Operator.Gt, List.of("x")))
        .hasMessage("affinity gen Gt: value \"x\" is not an integer");
    assertThatThrownBy(() -> new NodeSelectorRequirement("zone", Operator.In, List.of()))
        .hasMessage("affinity zone In: values must not be empty");
    assertThatThrownBy(() -> NodeSelectorRequirement.operator("Near"))
        .hasMessageContaining("\"Near\" is not one of");
    assertThatThrownBy(() -> new Toleration("k", "Like", "", "")).hasMessageContaining("\"Like\"");
    assertThatThrownBy(() -> new Taint("k", "", "Sometimes")).hasMessageContaining("\"Sometimes\"");
    assertThatThrownBy(() -> WorkloadClass.fromLabel("urgent")).hasMessageContaining("\"urgent\"");
  }

  @Test
  void tolerationsFollowKubernetes() {
    Taint t = new Taint("k", "v", "NoSchedule");
    assertThat(Toleration.equal("k", "v", "NoSchedule").tolerates(t)).isTrue();
    assertThat(Toleration.equal("k", "v", "").tolerates(t)).isTrue();
    assertThat(Toleration.equal("k", "w", "").tolerates(t)).isFalse();
    assertThat(Toleration.equal("k", "v", "NoExecute").tolerates(t)).isFalse();
    assertThat(Toleration.exists("k").tolerates(t)).isTrue();
    assertThat(Toleration.exists("").tolerates(t)).isTrue();
    assertThat(Toleration.exists("j").tolerates(t)).isFalse();
  }

  @Test
  void podRequestsValidateGpuSharing() {
    PodRequest share =
        PodRequest.of("u", WorkloadClass.OFFLINE, Resources.of("cpu", "1")).withGpuMilli(460);
    assertThat(share.requests().gpus()).isEqualTo(1);
    assertThat(share.gpuDemandMilli()).isEqualTo(460);
    assertThatThrownBy(
            () ->
                PodRequest.of("u", WorkloadClass.OFFLINE, Resources.of("nvidia.com/gpu", "2"))
                    .withGpuMilli(500))
        .hasMessageContaining("gpu_milli=500");
    assertThatThrownBy(() -> PodRequest.of("", WorkloadClass.OFFLINE, Resources.ZERO))
        .hasMessage("pod_uid must not be empty");
    assertThat(WorkloadClass.fromLabel(null)).isEqualTo(WorkloadClass.OFFLINE);
    assertThat(WorkloadClass.fromLabel("near-line")).isEqualTo(WorkloadClass.NEAR_LINE);
  }
}
