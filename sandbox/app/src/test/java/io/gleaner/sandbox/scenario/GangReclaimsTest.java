package io.gleaner.sandbox.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GangReclaimsTest {
  private static final String RECLAIMED = GangReclaims.RECLAIMED;

  @Test
  void aGangAllOfWhosePodsAreReclaimedWithinTheSpanIsReclaimedWhole() {
    GangReclaims r = new GangReclaims(Duration.ofSeconds(30));
    // look 1 (t=0): the gang runs
    for (String p : new String[] {"a", "b", "c"}) {
      r.seen("ml-batch/train-1", p, "Running", null, 0);
    }
    // look 2 (t=10 s): two of its pods reclaimed, the third not yet updated
    r.seen("ml-batch/train-1", "a", "Failed", RECLAIMED, 10_000);
    r.seen("ml-batch/train-1", "b", "Failed", RECLAIMED, 10_000);
    r.seen("ml-batch/train-1", "c", "Running", null, 10_000);
    r.judge(10_000);
    assertThat(r.verdicts()).as("not judged before the span has passed").isEmpty();
    // look 3 (t=25 s): the third too, 15 s after the first
    r.seen("ml-batch/train-1", "a", "Failed", RECLAIMED, 25_000);
    r.seen("ml-batch/train-1", "b", "Failed", RECLAIMED, 25_000);
    r.seen("ml-batch/train-1", "c", "Failed", RECLAIMED, 25_000);
    r.judge(39_999);
    assertThat(r.verdicts()).isEmpty();
    r.judge(40_000);
    assertThat(r.verdicts()).isEqualTo(Map.of("ml-batch/train-1", GangReclaims.Verdict.WHOLE));
    assertThat(r.whole()).isOne();
    assertThat(r.inPart()).isZero();
  }

  @Test
  void aGangWithAPodRunningOnOrEndedOtherwiseOrReclaimedLateIsReclaimedInPart() {
    GangReclaims r = new GangReclaims(Duration.ofSeconds(30));
    // train-2: one pod reclaimed, the other two run on past the span
    r.seen("ml-batch/train-2", "a", "Failed", RECLAIMED, 0);
    r.seen("ml-batch/train-2", "b", "Running", null, 0);
    r.seen("ml-batch/train-2", "c", "Running", null, 0);
    // train-3: two reclaimed, the third Succeeded
    r.seen("ml-batch/train-3", "d", "Failed", RECLAIMED, 0);
    r.seen("ml-batch/train-3", "e", "Failed", RECLAIMED, 0);
    r.seen("ml-batch/train-3", "f", "Succeeded", null, 0);
    // train-4: the second pod reclaimed 31 s after the first
    r.seen("ml-batch/train-4", "g", "Failed", RECLAIMED, 0);
    r.seen("ml-batch/train-4", "h", "Running", null, 0);
    r.seen("ml-batch/train-4", "h", "Failed", RECLAIMED, 31_000);
    // train-5: a pod failed for another reason (no reclaim), never judged
    r.seen("ml-batch/train-5", "i", "Failed", "GangNotSchedulable", 0);
    r.seen("ml-batch/train-5", "j", "Failed", "GangNotSchedulable", 0);
    r.judge(31_000);
    assertThat(r.verdicts())
        .isEqualTo(
            Map.of(
                "ml-batch/train-2", GangReclaims.Verdict.IN_PART,
                "ml-batch/train-3", GangReclaims.Verdict.IN_PART,
                "ml-batch/train-4", GangReclaims.Verdict.IN_PART));
    assertThat(r.whole()).isZero();
    assertThat(r.inPart()).isEqualTo(3);
  }
}
