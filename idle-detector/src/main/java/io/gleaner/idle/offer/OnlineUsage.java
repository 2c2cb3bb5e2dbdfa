package io.gleaner.idle.offer;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One node's online CPU usage: its measured usage minus what Gleaner's pods use there, kept per
 * node across evaluations (not thread-safe; one per node, used by the detector thread).
 *
 * <p>A usage sample covers the window {@code [timestamp - window, timestamp]}, so a Gleaner pod
 * that finished or was deleted after that window began is still in it. Such a pod is remembered
 * when it departs, with its last known usage (its PodMetrics, else its CPU requests) and the
 * instant its departure was seen, and is subtracted from every sample whose window began before
 * then. It is forgotten at the first sample whose window began at or after its departure, or, while
 * no fresh sample arrives, once a fresh one could no longer cover it. Samples that postdate the
 * departure are taken as they are, so online work is seen as soon as before.
 */
public final class OnlineUsage {
  private record Departure(long cpuMillis, Instant at) {}

  /** Gleaner pods running at the last evaluation: key to last known CPU millis. */
  private Map<String, Long> running = Map.of();

  private final Map<String, Departure> departed = new HashMap<>();
  private Duration lastWindow = Duration.ZERO;

  /**
   * The node's online CPU usage in millis, empty without a sample fresh within {@code maxAge}.
   *
   * @param sample the node's latest usage sample
   * @param pods the pods bound to the node
   * @param podUsage the latest PodMetrics by {@code namespace/name}
   */
  public OptionalLong evaluate(
      Optional<Usage> sample,
      Collection<MemberPodInfo> pods,
      Map<String, Usage> podUsage,
      Instant now,
      Duration maxAge) {
    Map<String, Long> current = new HashMap<>();
    for (MemberPodInfo p : pods) {
      if (p.gleanerManaged() && !p.terminated()) {
        Usage pu = podUsage.get(p.key());
        current.put(p.key(), pu != null ? pu.cpuMillis() : p.requests().cpuMillis());
      }
    }
    running.forEach(
        (key, cpu) -> {
          if (!current.containsKey(key)) {
            departed.put(key, new Departure(cpu, now));
          }
        });
    current.keySet().forEach(departed::remove);
    running = current;
    if (sample.isEmpty() || !sample.get().freshAt(now, maxAge)) {
      // a fresh sample later is no older than maxAge: it cannot cover a departure before that
      Instant horizon = now.minus(maxAge).minus(lastWindow);
      departed.values().removeIf(d -> d.at().isBefore(horizon));
      return OptionalLong.empty();
    }
    Usage u = sample.get();
    lastWindow = u.window();
    Instant windowStart = u.timestamp().minus(u.window());
    departed.values().removeIf(d -> !windowStart.isBefore(d.at()));
    long gleaner = 0;
    for (long cpu : current.values()) {
      gleaner += cpu;
    }
    for (Departure d : departed.values()) {
      gleaner += d.cpuMillis();
    }
    return OptionalLong.of(Math.max(0, u.cpuMillis() - gleaner));
  }

  /** How many departed Gleaner pods are still subtracted (for tests). */
  public int departuresKept() {
    return departed.size();
  }
}
