package io.gleaner.idle.state;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Someone else gave a lent node back: the descheduler annotated it with {@code
 * gleaner.io/reclaimed-at} (and usually {@code gleaner.io/cooldown-until}), or removed its {@code
 * gleaner.io/pool} label.
 *
 * @param reclaimedAt when it was reclaimed
 * @param cooldownUntil until when it may not be lent again; empty means "the policy's cool-down
 *     from {@code reclaimedAt}"
 */
public record ReclaimSignal(Instant reclaimedAt, Optional<Instant> cooldownUntil) {
  public ReclaimSignal {
    Objects.requireNonNull(reclaimedAt, "reclaimedAt");
    Objects.requireNonNull(cooldownUntil, "cooldownUntil");
  }
}
