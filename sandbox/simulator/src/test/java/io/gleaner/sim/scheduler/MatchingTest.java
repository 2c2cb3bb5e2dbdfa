package io.gleaner.sim.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.NodeSelectorBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MatchingTest {
  static NodeSelectorRequirement req(String key, String op, String... values) {
    return new NodeSelectorRequirementBuilder()
        .withKey(key)
        .withOperator(op)
        .withValues(values)
        .build();
  }

  @ParameterizedTest(name = "{0} {1} {2} vs {3} -> {4}")
  @CsvSource(
      nullValues = "null",
      value = {
        "zone, In, a|b, a, true",
        "zone, In, a|b, c, false",
        "zone, In, a, null, false",
        "zone, NotIn, a|b, c, true",
        "zone, NotIn, a|b, a, false",
        "zone, NotIn, a, null, true",
        "zone, Exists, '', x, true",
        "zone, Exists, '', null, false",
        "zone, DoesNotExist, '', null, true",
        "zone, DoesNotExist, '', x, false",
        "gen, Gt, 4, 5, true",
        "gen, Gt, 4, 4, false",
        "gen, Gt, 4, abc, false",
        "gen, Lt, 4, 3, true",
        "gen, Lt, 4, null, false"
      })
  void operators(String key, String op, String values, String label, boolean expected) {
    String[] vs = values.isEmpty() ? new String[0] : values.split("\\|");
    assertThat(Matching.requirementMatches(req(key, op, vs), label)).isEqualTo(expected);
  }

  @Test
  void unknownOperatorIsAnErrorNamingIt() {
    assertThatThrownBy(() -> Matching.requirementMatches(req("k", "Near", "x"), "x"))
        .hasMessageContaining("Near")
        .hasMessageContaining("k");
  }

  @Test
  void termsAreOredAndRequirementsAnded() {
    NodeSelector sel =
        new NodeSelectorBuilder()
            .addNewNodeSelectorTerm()
            .withMatchExpressions(req("zone", "In", "a"), req("disk", "In", "ssd"))
            .endNodeSelectorTerm()
            .addNewNodeSelectorTerm()
            .withMatchFields(req("metadata.name", "In", "special"))
            .endNodeSelectorTerm()
            .build();
    assertThat(Matching.nodeSelectorMatches(sel, "n1", Map.of("zone", "a", "disk", "ssd")))
        .isTrue();
    assertThat(Matching.nodeSelectorMatches(sel, "n1", Map.of("zone", "a", "disk", "hdd")))
        .isFalse();
    assertThat(Matching.nodeSelectorMatches(sel, "special", Map.of())).isTrue();
    assertThat(
            Matching.nodeAffinityMatches(
                Map.of("zone", "a"), sel, "n1", Map.of("zone", "b", "disk", "ssd")))
        .isFalse();
  }

  @Test
  void tolerationSemantics() {
    Taint t = new TaintBuilder().withKey("k").withValue("v").withEffect("NoSchedule").build();
    Toleration equal = new TolerationBuilder().withKey("k").withValue("v").build();
    Toleration wrongValue =
        new TolerationBuilder().withKey("k").withOperator("Equal").withValue("w").build();
    Toleration exists =
        new TolerationBuilder()
            .withKey("k")
            .withOperator("Exists")
            .withEffect("NoSchedule")
            .build();
    Toleration all = new TolerationBuilder().withOperator("Exists").build();
    Toleration otherEffect =
        new TolerationBuilder().withKey("k").withOperator("Exists").withEffect("NoExecute").build();
    assertThat(Matching.tolerates(equal, t)).isTrue();
    assertThat(Matching.tolerates(wrongValue, t)).isFalse();
    assertThat(Matching.tolerates(exists, t)).isTrue();
    assertThat(Matching.tolerates(all, t)).isTrue();
    assertThat(Matching.tolerates(otherEffect, t)).isFalse();
    assertThat(Matching.untoleratedTaint(List.of(t), List.of(otherEffect))).isEqualTo(t);
    assertThat(
            Matching.untoleratedTaint(
                List.of(new TaintBuilder().withKey("p").withEffect("PreferNoSchedule").build()),
                List.of()))
        .isNull();
  }
}
