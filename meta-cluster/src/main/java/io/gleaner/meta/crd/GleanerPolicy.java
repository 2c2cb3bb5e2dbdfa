package io.gleaner.meta.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Gleaner's tunables. <b>Cluster-scoped</b>, and the installation reads the one named {@value
 * #DEFAULT_NAME}; without it, {@link EffectivePolicy#DEFAULTS} apply. An invalid spec is not
 * applied: the previous effective policy stays and {@code status.conditions} carries {@code
 * Valid=False} naming each bad field ({@link #statusFor}).
 */
@Group(MemberCluster.GROUP)
@Version(MemberCluster.VERSION)
@Kind("GleanerPolicy")
@Plural("gleanerpolicies")
@Singular("gleanerpolicy")
@AdditionalPrinterColumn(
    name = "Valid",
    jsonPath = ".status.conditions[?(@.type==\"Valid\")].status",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Idle After",
    jsonPath = ".spec.idleAfter",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class GleanerPolicy extends CustomResource<GleanerPolicySpec, GleanerPolicyStatus> {
  /** The name of the policy an installation reads. */
  public static final String DEFAULT_NAME = "default";

  /** {@code gleanerpolicies.gleaner.io}. */
  public static final String CRD_NAME = "gleanerpolicies." + MemberCluster.GROUP;

  public GleanerPolicy() {}

  /** A policy named {@code name} with the given spec. */
  public static GleanerPolicy of(String name, GleanerPolicySpec spec) {
    GleanerPolicy p = new GleanerPolicy();
    ObjectMeta meta = new ObjectMeta();
    meta.setName(name);
    p.setMetadata(meta);
    p.setSpec(spec);
    return p;
  }

  /** Every bad field of the spec; empty when valid (a missing spec is valid: all defaults). */
  public List<FieldError> validate() {
    return getSpec() == null ? List.of() : getSpec().validate();
  }

  /**
   * The defaulted policy.
   *
   * @throws InvalidPolicyException naming every bad field
   */
  public EffectivePolicy effective() {
    return getSpec() == null ? EffectivePolicy.DEFAULTS : getSpec().effective();
  }

  /**
   * The status this object should have: {@code Valid} True/False for its current generation,
   * keeping the existing transition time when the verdict did not change. Pure.
   */
  public GleanerPolicyStatus statusFor(Instant now) {
    List<FieldError> errors = validate();
    Long generation = getMetadata() == null ? null : getMetadata().getGeneration();
    Condition valid =
        errors.isEmpty()
            ? Conditions.of(
                Conditions.VALID, Conditions.TRUE, "Valid", "policy is valid", generation, now)
            : Conditions.of(
                Conditions.VALID,
                Conditions.FALSE,
                "InvalidSpec",
                errors.stream().map(FieldError::toString).collect(Collectors.joining("; ")),
                generation,
                now);
    GleanerPolicyStatus status = new GleanerPolicyStatus();
    status.setConditions(
        Conditions.set(getStatus() == null ? null : getStatus().getConditions(), valid));
    status.setObservedGeneration(generation);
    return status;
  }
}
