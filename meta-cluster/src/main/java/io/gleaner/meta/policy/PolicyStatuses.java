package io.gleaner.meta.policy;

import io.fabric8.kubernetes.api.model.Condition;
import io.gleaner.meta.crd.Conditions;
import io.gleaner.meta.crd.GleanerPolicy;
import io.gleaner.meta.crd.GleanerPolicyStatus;
import java.time.Instant;
import java.util.Objects;

/** The status a {@link GleanerPolicy} should carry. Pure. */
public final class PolicyStatuses {
  private PolicyStatuses() {}

  /**
   * {@code Valid} as {@link GleanerPolicy#statusFor} decides it, plus {@code Applied}: True when
   * the object's generation is in force, else False naming what is in force instead.
   *
   * @param inForceGeneration the generation of this object in force, null when the built-in
   *     defaults are
   */
  public static GleanerPolicyStatus desired(
      GleanerPolicy policy, Long inForceGeneration, Instant now) {
    GleanerPolicyStatus status = policy.statusFor(now);
    Long generation = status.getObservedGeneration();
    boolean valid = Conditions.isTrue(status.getConditions(), Conditions.VALID);
    Condition applied;
    if (valid && Objects.equals(generation, inForceGeneration)) {
      applied =
          Conditions.of(
              Conditions.APPLIED,
              Conditions.TRUE,
              "InForce",
              "generation " + generation + " is the policy in force",
              generation,
              now);
    } else {
      String instead =
          inForceGeneration == null
              ? "the built-in defaults stay in force"
              : "generation " + inForceGeneration + " stays in force";
      applied =
          Conditions.of(
              Conditions.APPLIED,
              Conditions.FALSE,
              valid ? "Pending" : "InvalidSpec",
              "generation " + generation + " is not applied; " + instead,
              generation,
              now);
    }
    status.setConditions(Conditions.set(status.getConditions(), applied));
    return status;
  }
}
