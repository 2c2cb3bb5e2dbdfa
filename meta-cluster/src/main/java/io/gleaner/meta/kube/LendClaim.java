package io.gleaner.meta.kube;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The claim of one installation on a member node whose room it offers: the node is labelled {@code
 * gleaner.io/pool=<source>} ({@code idle}, {@code colocation} or {@code volcano}) and {@code
 * gleaner.io/lent-by=<instance>}, and annotated {@code gleaner.io/lent-renewed-at}, which the
 * claiming idle-detector renews while it offers the node. Installations sharing a member keep apart
 * by it (ARCHITECTURE.md §5): only the claiming instance offers, renews and returns the node;
 * another instance leaves it alone while the claim is live, and releases it once the claim has not
 * been renewed for the claim's time to live (its owner is gone).
 *
 * @param instance the claiming installation
 * @param pool the source the node's room is offered as (the pool label's value)
 * @param renewedAt when it last renewed the claim; empty when the annotation is missing or
 *     malformed (a claim never renewed counts as stale)
 */
public record LendClaim(String instance, String pool, Optional<Instant> renewedAt) {
  public LendClaim {
    Objects.requireNonNull(instance, "instance");
    Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(renewedAt, "renewedAt");
  }

  /** How a node's claim looks to one installation. */
  public enum Standing {
    /** No instance claims the node (not offered, or offered before claims existed). */
    UNCLAIMED,
    /** This installation claims it. */
    OWN,
    /** Another installation claims it and renewed the claim within its time to live. */
    OTHER_LIVE,
    /** Another installation claims it but has not renewed the claim within its time to live. */
    OTHER_STALE
  }

  /**
   * The claim on a node, read from its labels and annotations; empty when it carries no pool label
   * or no claiming instance.
   */
  public static Optional<LendClaim> of(
      Map<String, String> labels, Map<String, String> annotations) {
    String pool = labels == null ? null : labels.get(GleanerKeys.POOL);
    if (pool == null || pool.isBlank()) {
      return Optional.empty();
    }
    String by = labels.get(GleanerKeys.LENT_BY);
    if (by == null || by.isBlank()) {
      return Optional.empty();
    }
    String at = annotations == null ? null : annotations.get(GleanerKeys.LENT_RENEWED_AT);
    return Optional.of(new LendClaim(by, pool, parse(at)));
  }

  /** The node's standing towards {@code instance}, with claims stale after {@code ttl}. */
  public static Standing standing(
      Map<String, String> labels,
      Map<String, String> annotations,
      String instance,
      Instant now,
      Duration ttl) {
    Optional<LendClaim> c = of(labels, annotations);
    if (c.isEmpty()) {
      return Standing.UNCLAIMED;
    }
    if (c.get().instance().equals(instance)) {
      return Standing.OWN;
    }
    return c.get().isLive(now, ttl) ? Standing.OTHER_LIVE : Standing.OTHER_STALE;
  }

  /**
   * Whether another installation than {@code instance} claims the node, live or not: the node is
   * not this installation's to return.
   */
  public static boolean claimedByAnother(
      Map<String, String> labels, Map<String, String> annotations, String instance) {
    return of(labels, annotations).filter(c -> !c.instance().equals(instance)).isPresent();
  }

  /** Whether the node shows {@code instance}'s claim for {@code pool}. */
  public static boolean shows(
      Map<String, String> labels, Map<String, String> annotations, String instance, String pool) {
    return of(labels, annotations)
        .filter(c -> c.instance().equals(instance) && c.pool().equals(pool))
        .isPresent();
  }

  /** Renewed less than {@code ttl} before {@code now}. */
  public boolean isLive(Instant now, Duration ttl) {
    return renewedAt.isPresent() && now.isBefore(renewedAt.get().plus(ttl));
  }

  /** Due for renewal: never renewed, or last renewed at least {@code every} before {@code now}. */
  public boolean renewalDue(Instant now, Duration every) {
    return renewedAt.isEmpty() || !now.isBefore(renewedAt.get().plus(every));
  }

  private static Optional<Instant> parse(String t) {
    if (t == null || t.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(OffsetDateTime.parse(t).toInstant());
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
