package io.gleaner.descheduler.execute;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.descheduler.plan.NodeReclaim;
import io.gleaner.descheduler.plan.Pool;
import io.gleaner.descheduler.plan.Reason;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReclaimNoteTest {
  static final Instant T0 = Instant.parse("2025-01-01T12:00:00Z");

  private static NodeReclaim reclaim(Reason reason, List<String> forPods) {
    return new NodeReclaim("n1", Pool.IDLE, reason, List.of(), forPods, T0, false);
  }

  @Test
  void aGuaranteeEvictionNamesTheGuaranteeAndTheTeamItIsFor() {
    assertThat(ReclaimNote.of(reclaim(Reason.TEAM_GUARANTEE, List.of("team:ads-nearline"))))
        .contains(
            new ReclaimNote(
                "TeamGuarantee",
                "Gleaner gave the pod's room to team ads-nearline, below its guaranteed share"
                    + " with pods waiting"));
  }

  @Test
  void severalTeamsAreAllNamed() {
    assertThat(ReclaimNote.of(reclaim(Reason.TEAM_GUARANTEE, List.of("team:ads", "team:ml"))))
        .hasValueSatisfying(
            n -> assertThat(n.message()).contains("teams ads, ml, below their guaranteed shares"));
  }

  @Test
  void aReclaimForTheMembersOwnWorkHasNoNote() {
    // the member's own words (the Eviction API's DisruptionTarget) say it: no write on the
    // latency path
    assertThat(ReclaimNote.of(reclaim(Reason.UNSCHEDULABLE, List.of("web/p1")))).isEmpty();
    assertThat(ReclaimNote.of(reclaim(Reason.COLOCATION_PRESSURE, List.of("node/n1")))).isEmpty();
  }
}
