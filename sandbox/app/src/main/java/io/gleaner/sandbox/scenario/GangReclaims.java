package io.gleaner.sandbox.scenario;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Whether the gangs submitted to the metadata cluster were reclaimed whole, judged from their
 * metadata pods alone (what any user of the metadata cluster sees), not from Gleaner's own account.
 *
 * <p>Feed every look at a gang's metadata pods to {@link #seen}. A gang is judged once {@link
 * #span()} has passed since the first look that saw one of its pods {@code Failed} with reason
 * {@code Reclaimed}: it was <em>reclaimed whole</em> if by then every pod of it ever seen was seen
 * reclaimed, each first seen so within the span; otherwise it was <em>reclaimed in part</em> (a pod
 * that ran on, ended otherwise, or was reclaimed only later). Pure; not thread-safe.
 */
public final class GangReclaims {
  /** The metadata pods' status reason of a reclaimed pod. */
  public static final String RECLAIMED = "Reclaimed";

  private final Duration span;
  private final Map<String, Gang> gangs = new TreeMap<>();

  private static final class Gang {
    final Set<String> pods = new HashSet<>();
    final Map<String, Long> reclaimedAt = new HashMap<>();
    long firstReclaimAt = -1;
    Verdict verdict;
  }

  /** How a gang's reclaim ended. */
  public enum Verdict {
    WHOLE,
    IN_PART
  }

  /**
   * @param span how long after the first of a gang's pods is seen reclaimed the rest must be too
   *     (real time, as the looks are timed)
   */
  public GangReclaims(Duration span) {
    this.span = Objects.requireNonNull(span, "span");
  }

  public Duration span() {
    return span;
  }

  /**
   * One look at one pod of {@code gang} ({@code namespace/PodGroup}) at {@code atMillis}: its phase
   * and status reason.
   */
  public void seen(String gang, String podUid, String phase, String reason, long atMillis) {
    Gang g = gangs.computeIfAbsent(gang, k -> new Gang());
    g.pods.add(podUid);
    if ("Failed".equals(phase) && RECLAIMED.equals(reason)) {
      g.reclaimedAt.putIfAbsent(podUid, atMillis);
      if (g.firstReclaimAt < 0) {
        g.firstReclaimAt = atMillis;
      }
    }
  }

  /** Judges the gangs whose span has passed by {@code nowMillis} (once each). */
  public void judge(long nowMillis) {
    for (Gang g : gangs.values()) {
      if (g.verdict != null || g.firstReclaimAt < 0) {
        continue;
      }
      if (nowMillis - g.firstReclaimAt < span.toMillis()) {
        continue;
      }
      boolean whole =
          g.pods.stream()
              .allMatch(
                  p ->
                      g.reclaimedAt.containsKey(p)
                          && g.reclaimedAt.get(p) - g.firstReclaimAt <= span.toMillis());
      g.verdict = whole ? Verdict.WHOLE : Verdict.IN_PART;
    }
  }

  /** The judged gangs and their verdicts, by gang. */
  public Map<String, Verdict> verdicts() {
    Map<String, Verdict> out = new TreeMap<>();
    gangs.forEach(
        (k, g) -> {
          if (g.verdict != null) {
            out.put(k, g.verdict);
          }
        });
    return out;
  }

  /** Gangs judged reclaimed whole. */
  public long whole() {
    return count(Verdict.WHOLE);
  }

  /** Gangs judged reclaimed in part. */
  public long inPart() {
    return count(Verdict.IN_PART);
  }

  private long count(Verdict v) {
    return gangs.values().stream().filter(g -> g.verdict == v).count();
  }
}
