package io.gleaner.meta.crd;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Helpers for standard Kubernetes status conditions ({@code metav1.Condition}): the types Gleaner
 * uses and a pure "set" that keeps {@code lastTransitionTime} unless the status flips, as {@code
 * meta.SetStatusCondition} in apimachinery does.
 */
public final class Conditions {
  /** MemberCluster: the member's API server answered recently. */
  public static final String REACHABLE = "Reachable";

  /** MemberCluster: the member is reachable, enabled, valid, and its circuit breaker is closed. */
  public static final String READY = "Ready";

  /** GleanerPolicy: the spec passed validation. */
  public static final String VALID = "Valid";

  /** GleanerPolicy: this generation of the spec is the policy in force. */
  public static final String APPLIED = "Applied";

  public static final String TRUE = "True";
  public static final String FALSE = "False";
  public static final String UNKNOWN = "Unknown";

  private Conditions() {}

  /** A condition with {@code lastTransitionTime = now}; {@link #set} keeps an older time. */
  public static Condition of(
      String type, String status, String reason, String message, Long generation, Instant now) {
    return new ConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withReason(reason)
        .withMessage(message == null ? "" : message)
        .withObservedGeneration(generation)
        .withLastTransitionTime(timestamp(now))
        .build();
  }

  /** Kubernetes {@code metav1.Time} form: RFC 3339 in UTC, whole seconds. */
  public static String timestamp(Instant at) {
    return DateTimeFormatter.ISO_INSTANT.format(at.truncatedTo(ChronoUnit.SECONDS));
  }

  /** Parses a {@link #timestamp}; empty for null or blank. */
  public static Optional<Instant> parseTimestamp(String value) {
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(Instant.parse(value));
  }

  /** The condition of the given type, if present. */
  public static Optional<Condition> find(List<Condition> conditions, String type) {
    if (conditions == null) {
      return Optional.empty();
    }
    return conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  /** Whether the condition of the given type is present with status {@code True}. */
  public static boolean isTrue(List<Condition> conditions, String type) {
    return find(conditions, type).map(c -> TRUE.equals(c.getStatus())).orElse(false);
  }

  /**
   * Returns a new list with {@code desired} replacing the condition of its type (appended when
   * absent). When the status did not change, the existing {@code lastTransitionTime} is kept.
   */
  public static List<Condition> set(List<Condition> existing, Condition desired) {
    List<Condition> out = new ArrayList<>();
    boolean replaced = false;
    if (existing != null) {
      for (Condition c : existing) {
        if (desired.getType().equals(c.getType())) {
          out.add(merge(c, desired));
          replaced = true;
        } else {
          out.add(c);
        }
      }
    }
    if (!replaced) {
      out.add(desired);
    }
    return out;
  }

  /** {@link #set} for each of {@code desired}, in order. */
  public static List<Condition> setAll(List<Condition> existing, List<Condition> desired) {
    List<Condition> out = existing;
    for (Condition c : desired) {
      out = set(out, c);
    }
    return out == null ? new ArrayList<>() : out;
  }

  private static Condition merge(Condition current, Condition desired) {
    if (!Objects.equals(current.getStatus(), desired.getStatus())
        || current.getLastTransitionTime() == null) {
      return desired;
    }
    return new ConditionBuilder(desired)
        .withLastTransitionTime(current.getLastTransitionTime())
        .build();
  }

  /**
   * Equal in everything but {@code lastTransitionTime}: writing {@code b} over {@code a} is a
   * no-op.
   */
  public static boolean sameState(List<Condition> a, List<Condition> b) {
    List<Condition> left = a == null ? List.of() : a;
    List<Condition> right = b == null ? List.of() : b;
    if (left.size() != right.size()) {
      return false;
    }
    for (Condition l : left) {
      Optional<Condition> r = find(right, l.getType());
      if (r.isEmpty()
          || !Objects.equals(l.getStatus(), r.get().getStatus())
          || !Objects.equals(l.getReason(), r.get().getReason())
          || !Objects.equals(l.getMessage(), r.get().getMessage())
          || !Objects.equals(l.getObservedGeneration(), r.get().getObservedGeneration())) {
        return false;
      }
    }
    return true;
  }
}
