package io.gleaner.descheduler.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeMatchTest {
  private static final Map<String, String> LABELS = Map.of("zone", "a", "gpu-count", "4");

  @Test
  void requirementOperators() {
    assertThat(new NodeSelectorRequirement("zone", "In", List.of("a", "b")).matches(LABELS))
        .isTrue();
    assertThat(new NodeSelectorRequirement("zone", "In", List.of("b")).matches(LABELS)).isFalse();
    assertThat(new NodeSelectorRequirement("zone", "NotIn", List.of("b")).matches(LABELS)).isTrue();
    assertThat(new NodeSelectorRequirement("rack", "NotIn", List.of("b")).matches(LABELS)).isTrue();
    assertThat(new NodeSelectorRequirement("zone", "Exists", null).matches(LABELS)).isTrue();
    assertThat(new NodeSelectorRequirement("rack", "DoesNotExist", null).matches(LABELS)).isTrue();
    assertThat(new NodeSelectorRequirement("gpu-count", "Gt", List.of("3")).matches(LABELS))
        .isTrue();
    assertThat(new NodeSelectorRequirement("gpu-count", "Lt", List.of("3")).matches(LABELS))
        .isFalse();
    assertThat(new NodeSelectorRequirement("zone", "Gt", List.of("3")).matches(LABELS)).isFalse();
  }

  @Test
  void badRequirementsNameTheProblem() {
    assertThatThrownBy(() -> new NodeSelectorRequirement("zone", "Near", List.of("a")))
        .hasMessageContaining("unknown operator \"Near\"");
    assertThatThrownBy(() -> new NodeSelectorRequirement("zone", "In", List.of()))
        .hasMessageContaining("needs values");
    assertThatThrownBy(() -> new NodeSelectorRequirement("n", "Gt", List.of("x")))
        .hasMessageContaining("\"x\"");
  }

  @Test
  void termsAreAndedWithinAndOredAcross() {
    NodeSelectorTerm both =
        NodeSelectorTerm.of(
            new NodeSelectorRequirement("zone", "In", List.of("a")),
            new NodeSelectorRequirement("rack", "Exists", null));
    assertThat(both.matches(LABELS)).isFalse();
    assertThat(new NodeSelectorTerm(List.of()).matches(LABELS)).isFalse();
  }

  @Test
  void tolerations() {
    Taint t = new Taint("k", "v", "NoSchedule");
    assertThat(new Toleration("k", "Equal", "v", "NoSchedule").tolerates(t)).isTrue();
    assertThat(new Toleration("k", null, "v", null).tolerates(t)).isTrue();
    assertThat(new Toleration("k", "Equal", "w", null).tolerates(t)).isFalse();
    assertThat(new Toleration("k", "Exists", null, "NoExecute").tolerates(t)).isFalse();
    assertThat(new Toleration("", "Exists", null, null).tolerates(t)).isTrue();
    assertThat(new Toleration("", "Equal", null, null).tolerates(t)).isFalse();
    assertThatThrownBy(() -> new Toleration("k", "Like", null, null))
        .hasMessageContaining("\"Like\"");
  }

  @Test
  void classesAndPools() {
    assertThat(PodClass.fromLabel(null)).isEqualTo(PodClass.OFFLINE);
    assertThat(PodClass.fromLabel("near-line")).isEqualTo(PodClass.NEAR_LINE);
    assertThatThrownBy(() -> PodClass.fromLabel("urgent")).hasMessageContaining("\"urgent\"");
    assertThat(Pool.fromLabel("Volcano")).isEqualTo(Pool.VOLCANO);
    assertThat(Pool.fromLabel("other")).isEqualTo(Pool.UNKNOWN);
    assertThat(PreemptionPolicy.fromSpec("Never")).isEqualTo(PreemptionPolicy.NEVER);
    assertThatThrownBy(() -> PreemptionPolicy.fromSpec("Sometimes"))
        .hasMessageContaining("\"Sometimes\"");
  }
}
