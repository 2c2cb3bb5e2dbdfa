package io.gleaner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.api.v1.Capacity;
import io.gleaner.api.v1.TeamShare;
import org.junit.jupiter.api.Test;

class CapacityCommandTest {
  @Test
  void showsEachTeamsShare() {
    Capacity c =
        Capacity.newBuilder()
            .putOffered("cpu", "100")
            .addTeams(
                TeamShare.newBuilder()
                    .setTeam("ml-batch")
                    .setWeight(1)
                    .setFairShare(0.35)
                    .setActualShare(0.2)
                    .setPendingPods(2)
                    .setCoreHours(12.34)
                    .putHeld("cpu", "20")
                    .putGuarantee("cpu", "30"))
            .addTeams(
                TeamShare.newBuilder()
                    .setTeam("ads-nearline")
                    .setWeight(2)
                    .setFairShare(0.3)
                    .setActualShare(0.0))
            .build();
    String out = CapacityCommand.render(c);
    assertThat(out)
        .contains("TEAM")
        .contains("CPU GUAR.")
        .containsPattern(
            "ml-batch\\s+1\\.00\\s+35\\.0%\\s+20\\.0%\\s+2\\s+20\\.0\\s+30\\.0\\s+12\\.3")
        .containsPattern("ads-nearline\\s+2\\.00\\s+30\\.0%\\s+0\\.0%\\s+0\\s+0\\s+-\\s+0\\.0");
    assertThat(CapacityCommand.render(Capacity.getDefaultInstance())).doesNotContain("TEAM");
  }
}
