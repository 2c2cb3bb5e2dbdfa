package io.gleaner.vk.admission;

import io.gleaner.meta.fair.Candidate;
import io.gleaner.meta.fair.FairQueue;
import io.gleaner.meta.fair.Shares;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.fair.Wait;
import io.gleaner.meta.resources.Quantities;
import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One round of fair admission to the virtual node (pure): which gated pods lose their gate now, and
 * why each other one still waits.
 *
 * <p>The pods are offered in the weighted Dominant Resource Fairness order of {@link FairQueue}
 * (teams under their guarantee first, then the lowest weighted dominant share; within a team
 * near-line before offline, then the oldest); a pod is admitted while its requests fit in the room
 * left on the virtual node, and a pod that does not fit is passed, so the room goes to the next pod
 * in fair order (a large pod does not hold back smaller ones behind it). A pod that would take its
 * team over its cap is never admitted.
 */
public final class AdmissionRound {
  /** The reason of a pod that waits while other teams go first, or for room in its team's turn. */
  public static final String WAITING_FOR_TEAM_TURN = Wait.TeamTurn.REASON;

  /** The reason of a pod whose team is at its cap. */
  public static final String TEAM_AT_CAP = Wait.AtCap.REASON;

  private AdmissionRound() {}

  /**
   * Why a gated pod still waits.
   *
   * @param reason {@link #WAITING_FOR_TEAM_TURN} or {@link #TEAM_AT_CAP}
   * @param message a sentence with the shares or the cap, for the pod's condition
   */
  public record Hold(String reason, String message) {}

  /**
   * The outcome of a round.
   *
   * @param admitted the pods to ungate, in fair order
   * @param held why each other pod waits, by candidate id
   * @param roomLeft the room left after the admitted pods
   */
  public record Decision(List<Candidate> admitted, Map<String, Hold> held, Resources roomLeft) {}

  /**
   * @param room what the virtual node has left for new pods: its allocatable minus the requests of
   *     the pods bound to it and of the pods already admitted but not yet bound (with one {@code
   *     pods} slot each)
   * @param pool the harvested pool the shares are of
   * @param teams the policy's teams
   * @param usage what each team holds now (bound or admitted), by team name
   * @param gated the pods waiting at the gate
   */
  public static Decision decide(
      Resources room,
      Resources pool,
      Teams teams,
      Map<String, Resources> usage,
      Collection<Candidate> gated) {
    FairQueue queue = new FairQueue(pool, teams, usage, gated);
    List<Candidate> admitted = new ArrayList<>();
    Resources left = room;
    for (Optional<Candidate> next = queue.next(); next.isPresent(); next = queue.next()) {
      Candidate c = next.get();
      Resources slot = slot(c.request());
      if (slot.fitsIn(left)) {
        admitted.add(c);
        left = left.minus(slot);
        queue.placed(c);
      } else {
        queue.passed(c);
      }
    }
    Map<String, Wait> waits = queue.waits();
    Map<String, Hold> held = new LinkedHashMap<>();
    List<Candidate> waiting = new ArrayList<>(gated);
    waiting.removeAll(admitted);
    for (Candidate c : waiting) {
      Wait w = waits.get(c.id());
      if (w != null) {
        held.put(c.id(), new Hold(w.reason(), w.message()));
      } else {
        String team = teams.of(c.namespace()).name();
        held.put(
            c.id(),
            new Hold(
                WAITING_FOR_TEAM_TURN,
                "team "
                    + team
                    + " is first in line (weighted share "
                    + share(
                        Shares.dominant(queue.usage(team), pool) / teams.of(c.namespace()).weight())
                    + "); the pod waits for room on the virtual node: it asks for "
                    + describe(c.request())
                    + ", "
                    + describe(left.clampAtZero())
                    + " is free"));
      }
    }
    return new Decision(List.copyOf(admitted), held, left);
  }

  /** A pod's requests with the pod slot it takes on the node. */
  static Resources slot(Resources request) {
    return request.get(Resources.PODS) > 0 ? request : request.with(Resources.PODS, 1);
  }

  private static String describe(Resources r) {
    StringBuilder b = new StringBuilder();
    for (String name : List.of(Resources.CPU, Resources.MEMORY, Resources.GPU)) {
      if (r.get(name) > 0 || !name.equals(Resources.GPU)) {
        b.append(b.length() == 0 ? "" : " ")
            .append(name)
            .append(' ')
            .append(Quantities.format(name, r.get(name)));
      }
    }
    return b.toString();
  }

  private static String share(double d) {
    return String.format(Locale.ROOT, "%.3f", d).replaceAll("\\.?0+$", "");
  }
}
