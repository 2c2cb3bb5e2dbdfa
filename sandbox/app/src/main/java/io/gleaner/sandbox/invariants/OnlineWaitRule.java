package io.gleaner.sandbox.invariants;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * "An online pod waits no longer than the victims' grace period plus 5 s for Gleaner to hand
 * capacity back."
 *
 * <p>What is measured: a member's own pod (default scheduler) that is unschedulable while Gleaner's
 * pods stand in its way — on some node of its member it would fit without Gleaner's pods and does
 * not fit with them — waits from its {@code PodScheduled=False/Unschedulable} transition to its
 * {@code PodScheduled=True} transition. The allowance is the longest termination grace period of
 * Gleaner's pods on those nodes (the victims'), plus 5 s for Gleaner itself. A pod seen
 * unschedulable without Gleaner in its way is not waiting for Gleaner and is not judged, then or
 * later; a pod that goes away unscheduled is not judged either. A pod still waiting past its
 * allowance is reported at once, without waiting for it to be scheduled.
 *
 * <p>The clock: the timestamps are the members' simulated time, which runs {@code speed} times
 * faster than real time. Grace periods are kept in simulated time (the simulated kubelet ends a pod
 * after its grace, simulated), while Gleaner's own reaction (watch, plan, evict) takes real time. A
 * production promise of {@code grace + 5 s} therefore reads, in the sandbox, as a simulated wait of
 * at most {@code grace + 5 s × speed}: the grace unchanged, the 5 s Gleaner may take multiplied by
 * the speed-up. Delays that Gleaner itself counts on its accelerated clock (timers in simulated
 * time) are compressed by the same factor and so favour Gleaner here.
 *
 * <p>Pure and stateful: fed every {@link FederationSnapshot} in order. Looks must come less than 5
 * s (real) apart, so that no wait longer than the allowance goes unseen.
 */
public final class OnlineWaitRule {
  /** What Gleaner may add to the victims' grace, in real time. */
  public static final Duration ALLOWANCE = Duration.ofSeconds(5);

  private static final int MAX_REMEMBERED = 100_000;

  /**
   * A judged wait (simulated time).
   *
   * @param pod {@code cluster:namespace/name}
   * @param waited from unschedulable to scheduled (or to the look, while still waiting)
   * @param allowed victims' grace plus {@link #ALLOWANCE} × speed
   */
  public record Wait(String pod, Duration waited, Duration allowed) {
    public boolean kept() {
      return waited.compareTo(allowed) <= 0;
    }
  }

  private record Track(String pod, Instant since, long graceSeconds, List<String> nodes) {}

  private final double speed;
  private final Map<String, Track> tracked = new HashMap<>();
  private final Set<String> notForGleaner = new LinkedHashSet<>();
  private final List<Wait> judged = new ArrayList<>();
  private long judgedCount;

  /** {@code speed}: how much faster than real time the members' clock runs. */
  public OnlineWaitRule(double speed) {
    if (speed <= 0) {
      throw new IllegalArgumentException("speed must be positive: " + speed);
    }
    this.speed = speed;
  }

  /** Judges one look; returns the violations it shows. */
  public List<InvariantChecker.Violation> check(FederationSnapshot o) {
    List<InvariantChecker.Violation> out = new ArrayList<>();
    Set<String> stillWaiting = new HashSet<>();
    for (FederationSnapshot.WaitingPod w : o.waiting()) {
      stillWaiting.add(w.id());
      if (notForGleaner.contains(w.id())) {
        continue;
      }
      if (w.gleanerNodes().isEmpty()) {
        tracked.remove(w.id());
        remember(w.id());
        continue;
      }
      String pod = w.id().substring(0, w.id().indexOf(':') + 1) + w.key();
      Track t = tracked.get(w.id());
      long grace = Math.max(w.victimGraceSeconds(), t == null ? 0 : t.graceSeconds());
      t = new Track(pod, w.unschedulableSince(), grace, w.gleanerNodes());
      tracked.put(w.id(), t);
      if (o.simulatedNow() != null) {
        Wait ongoing = wait(t, o.simulatedNow());
        if (!ongoing.kept()) {
          out.add(violation(t, ongoing, "still unscheduled at " + o.simulatedNow()));
        }
      }
    }
    for (var it = tracked.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Track> e = it.next();
      if (stillWaiting.contains(e.getKey())) {
        continue;
      }
      it.remove();
      Instant at = o.scheduledAt().get(e.getKey());
      if (at == null) {
        continue; // gone without being scheduled
      }
      Track t = e.getValue();
      Wait w = wait(t, at);
      judgedCount++;
      if (judged.size() < MAX_REMEMBERED) {
        judged.add(w);
      }
      if (!w.kept()) {
        out.add(violation(t, w, "scheduled at " + at));
      }
    }
    notForGleaner.retainAll(stillWaiting);
    return out;
  }

  /** Waits judged so far (up to the first 100,000), in the order they ended. */
  public List<Wait> judged() {
    return List.copyOf(judged);
  }

  public long judgedCount() {
    return judgedCount;
  }

  private Wait wait(Track t, Instant end) {
    Duration allowed =
        Duration.ofSeconds(t.graceSeconds())
            .plus(Duration.ofMillis((long) (ALLOWANCE.toMillis() * speed)));
    return new Wait(t.pod(), Duration.between(t.since(), end), allowed);
  }

  private InvariantChecker.Violation violation(Track t, Wait w, String end) {
    return new InvariantChecker.Violation(
        Invariant.ONLINE_POD_HELD_BACK,
        t.pod(),
        "unschedulable since "
            + t.since()
            + " with Gleaner's pods in its way on "
            + t.nodes()
            + ", "
            + end
            + ": waited "
            + w.waited().toSeconds()
            + " s simulated ("
            + String.format(java.util.Locale.ROOT, "%.1f", w.waited().toMillis() / speed / 1000)
            + " s real at "
            + speed
            + "x), allowed "
            + t.graceSeconds()
            + " s grace + "
            + ALLOWANCE.toSeconds()
            + " s real");
  }

  private void remember(String id) {
    notForGleaner.add(id);
    if (notForGleaner.size() > MAX_REMEMBERED) {
      notForGleaner.remove(notForGleaner.iterator().next());
    }
  }
}
