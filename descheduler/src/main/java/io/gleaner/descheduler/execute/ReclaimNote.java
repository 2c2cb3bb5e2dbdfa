package io.gleaner.descheduler.execute;

import io.gleaner.descheduler.plan.NodeReclaim;
import io.gleaner.descheduler.plan.Reason;
import java.util.List;
import java.util.Optional;

/**
 * Why Gleaner evicts a pod for a reason of its own, in words the pod carries as it goes ({@code
 * gleaner.io/reclaim-reason} and {@code gleaner.io/reclaim-message}, read by the virtual-kubelet
 * into the metadata pod's status). Only an eviction for a team's guarantee has one: for a member's
 * own work the Eviction API's {@code DisruptionTarget} says it, and a note would add a write before
 * every eviction on the reclaim's latency path.
 *
 * @param reason the reclaim reason, as in the ReclaimEvent
 * @param message what the pod was taken for
 */
public record ReclaimNote(String reason, String message) {
  /** Marks the teams a guarantee eviction is for, in {@link NodeReclaim#forPods()}. */
  public static final String FOR_TEAM = "team:";

  /** The note for the victims of {@code r}, if its reason is Gleaner's own. */
  public static Optional<ReclaimNote> of(NodeReclaim r) {
    if (r.reason() != Reason.TEAM_GUARANTEE) {
      return Optional.empty();
    }
    List<String> teams =
        r.forPods().stream()
            .filter(p -> p.startsWith(FOR_TEAM))
            .map(p -> p.substring(FOR_TEAM.length()))
            .toList();
    String message =
        teams.size() == 1
            ? "Gleaner gave the pod's room to team "
                + teams.get(0)
                + ", below its guaranteed share with pods waiting"
            : "Gleaner gave the pod's room to teams "
                + String.join(", ", teams)
                + ", below their guaranteed shares with pods waiting";
    return Optional.of(new ReclaimNote(r.reason().wire(), message));
  }
}
