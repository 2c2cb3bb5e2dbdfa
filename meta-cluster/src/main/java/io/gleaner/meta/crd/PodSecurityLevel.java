package io.gleaner.meta.crd;

import java.util.Locale;

/**
 * A Pod Security Standard level, as {@code GleanerPolicy.spec.podSecurity} names it: the level
 * metadata pods bound to the virtual node must meet, and the Pod Security Admission {@code enforce}
 * label of the member namespaces Gleaner creates.
 */
public enum PodSecurityLevel {
  /** No check. */
  PRIVILEGED,
  /** Prevents known privilege escalations (host namespaces, privileged containers, ...). */
  BASELINE,
  /** Baseline plus current pod hardening (non-root, no privilege escalation, ...). */
  RESTRICTED;

  /** The pattern of the CRD field: one of the level names. */
  static final String PATTERN = "^(privileged|baseline|restricted)$";

  /**
   * The name Pod Security Admission uses: {@code privileged}, {@code baseline}, {@code restricted}.
   */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The level of a name as {@link #label()} writes it. */
  public static PodSecurityLevel parse(String label) {
    return valueOf(label.toUpperCase(Locale.ROOT));
  }

  /** True when this level includes every check of {@code other}. */
  public boolean atLeast(PodSecurityLevel other) {
    return compareTo(other) >= 0;
  }
}
