package io.gleaner.meta.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.gleaner.meta.crd.Conditions;
import io.gleaner.meta.crd.GleanerPolicy;
import io.gleaner.meta.crd.GleanerPolicySpec;
import io.gleaner.meta.crd.GleanerPolicyStatus;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PolicyStatusesTest {
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  private static GleanerPolicy policy(double nearLine, long generation) {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setNearLineReserve(nearLine);
    GleanerPolicy p = GleanerPolicy.of(GleanerPolicy.DEFAULT_NAME, spec);
    p.getMetadata().setGeneration(generation);
    return p;
  }

  private static Condition condition(GleanerPolicyStatus s, String type) {
    return Conditions.find(s.getConditions(), type).orElseThrow();
  }

  @Test
  void aValidGenerationInForceIsApplied() {
    GleanerPolicyStatus s = PolicyStatuses.desired(policy(0.3, 4), 4L, NOW);

    assertThat(s.getObservedGeneration()).isEqualTo(4L);
    assertThat(condition(s, Conditions.VALID).getStatus()).isEqualTo(Conditions.TRUE);
    Condition applied = condition(s, Conditions.APPLIED);
    assertThat(applied.getStatus()).isEqualTo(Conditions.TRUE);
    assertThat(applied.getReason()).isEqualTo("InForce");
    assertThat(applied.getObservedGeneration()).isEqualTo(4L);
  }

  @Test
  void anInvalidGenerationIsNotAppliedAndNamesWhatStaysInForce() {
    GleanerPolicyStatus s = PolicyStatuses.desired(policy(1.5, 5), 4L, NOW);

    assertThat(condition(s, Conditions.VALID).getStatus()).isEqualTo(Conditions.FALSE);
    Condition applied = condition(s, Conditions.APPLIED);
    assertThat(applied.getStatus()).isEqualTo(Conditions.FALSE);
    assertThat(applied.getReason()).isEqualTo("InvalidSpec");
    assertThat(applied.getMessage())
        .isEqualTo("generation 5 is not applied; generation 4 stays in force");
    assertThat(
            PolicyStatuses.desired(policy(1.5, 1), null, NOW).getConditions().stream()
                .filter(c -> c.getType().equals(Conditions.APPLIED))
                .findFirst()
                .orElseThrow()
                .getMessage())
        .endsWith("the built-in defaults stay in force");
  }
}
