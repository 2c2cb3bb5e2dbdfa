package io.gleaner.broker.teams;

import io.gleaner.api.v1.TeamShare;
import io.gleaner.meta.resources.Resources;
import java.util.List;

/** Team shares on the wire ({@code gleaner.v1.TeamShare}). */
public final class TeamShares {
  private TeamShares() {}

  public static List<TeamShare> toProto(List<TeamShareBook.Share> shares) {
    return shares.stream()
        .map(
            s ->
                TeamShare.newBuilder()
                    .setTeam(s.team())
                    .setWeight(s.weight())
                    .setFairShare(s.fair())
                    .setActualShare(s.actual())
                    .setPendingPods(s.pendingPods())
                    .setCoreHours(s.coreHours())
                    .putAllHeld(strings(s.held()))
                    .putAllWaiting(strings(s.waiting()))
                    .putAllGuarantee(strings(s.guarantee()))
                    .build())
        .toList();
  }

  private static java.util.Map<String, String> strings(Resources r) {
    return r.toStrings();
  }
}
