package io.gleaner.vk.translate;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.gleaner.meta.time.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Optional;
import java.util.function.Function;

/**
 * How long a gang may still wait before its pods fail together. A gang that is not placed (too few
 * of its pods bound, its PodGroup missing, or no member holding it whole) waits at most the
 * policy's {@code placement.pendingTimeout}, counted from the earliest wait of its waiting pods, so
 * a pod bound late does not extend the wait of the ones bound before it.
 *
 * <p>A pod's wait begins at the {@code lastTransitionTime} of its {@code PodScheduled=False}
 * condition, which stays put while the reason changes (GangWaiting, GangNoMemberFit, ...): a
 * waiting gang keeps its deadline across restarts and takeovers. A pod without that condition (not
 * judged yet) begins waiting now. Pure functions.
 */
public final class GangDeadline {
  /** The reason of every pod of a gang that failed its wait. */
  public static final String REASON = "GangNotSchedulable";

  private GangDeadline() {}

  /** Since when a pod has waited to be scheduled, as its status says. */
  public static Optional<Instant> waitingSince(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    for (PodCondition c : pod.getStatus().getConditions()) {
      if ("PodScheduled".equals(c.getType())
          && "False".equals(c.getStatus())
          && c.getLastTransitionTime() != null) {
        try {
          return Optional.of(Instant.parse(c.getLastTransitionTime()));
        } catch (RuntimeException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  /**
   * What is left of the wait of {@code waiting} (the gang's pods that wait) at {@code now}; zero or
   * negative: the gang has waited long enough.
   */
  public static Duration left(Collection<Pod> waiting, Duration timeout, Instant now) {
    return left(waiting, p -> null, timeout, now);
  }

  /**
   * As {@link #left(Collection, Duration, Instant)}, where a pod given back by a member (its gang
   * re-placed) waits from then, {@code restartedAt} (null: never given back), not from its first
   * wait: its {@code PodScheduled} stayed False while its member could not run it.
   */
  public static Duration left(
      Collection<Pod> waiting, Function<Pod, Instant> restartedAt, Duration timeout, Instant now) {
    Instant since = now;
    for (Pod p : waiting) {
      Instant s = waitingSince(p).orElse(now);
      Instant restarted = restartedAt.apply(p);
      if (restarted != null && restarted.isAfter(s)) {
        s = restarted;
      }
      if (s.isBefore(since)) {
        since = s;
      }
    }
    return timeout.minus(Duration.between(since, now));
  }

  /**
   * The message of a placed gang that fails whole: a pod its member gave back was not placed again
   * in time, and the gang cannot run without it.
   */
  public static String messageWhole(String gangId, Duration timeout, String why) {
    return "a pod of gang "
        + gangId
        + " given back by its member was not placed again within the pending timeout ("
        + Durations.format(timeout)
        + ") and the gang cannot run without it: every pod of the gang fails, its member pods are"
        + " removed and its reservations released: "
        + why;
  }

  /** The failed pods' message: the gang, the timeout and why it waited. */
  public static String message(String gangId, Duration timeout, String why) {
    return "gang "
        + gangId
        + " was not placed within the pending timeout ("
        + Durations.format(timeout)
        + "); its waiting pods fail together and nothing is held for them: "
        + why;
  }
}
