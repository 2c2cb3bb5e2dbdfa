package io.gleaner.descheduler.execute;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Status;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EvictionAnswersTest {
  /** What kube-apiserver's eviction handler answers when a PodDisruptionBudget refuses. */
  static final String PDB_429 =
      """
      {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
       "message":"Cannot evict pod as it would violate the pod's disruption budget.",
       "reason":"TooManyRequests",
       "details":{"causes":[{"reason":"DisruptionBudget",
         "message":"The disruption budget web-pdb needs 2 healthy pods and has 2 currently"}]},
       "code":429}
      """;

  /** What API Priority and Fairness answers when it sheds load. */
  static final String APF_429 =
      """
      {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
       "message":"Too many requests, please try again later.","reason":"TooManyRequests",
       "details":{"retryAfterSeconds":1},"code":429}
      """;

  @Test
  void a429WithADisruptionBudgetCauseIsAPdbRefusal() {
    assertThat(EvictionAnswers.classify(429, EvictionAnswers.status(PDB_429)))
        .isEqualTo(EvictionResult.BLOCKED_BY_PDB);
  }

  @Test
  void a429WithoutThatCauseIsThrottling() {
    Status apf = EvictionAnswers.status(APF_429);
    assertThat(EvictionAnswers.classify(429, apf)).isEqualTo(EvictionResult.THROTTLED);
    assertThat(EvictionAnswers.classify(429, null)).isEqualTo(EvictionResult.THROTTLED);
    assertThat(EvictionAnswers.retryAfter(null, apf)).contains(Duration.ofSeconds(1));
    assertThat(EvictionAnswers.retryAfter("3", apf)).contains(Duration.ofSeconds(3));
  }

  @Test
  void goneConflictAndOtherCodes() {
    assertThat(EvictionAnswers.classify(404, null)).isEqualTo(EvictionResult.ALREADY_GONE);
    assertThat(EvictionAnswers.classify(409, null)).isEqualTo(EvictionResult.ALREADY_GONE);
    assertThat(EvictionAnswers.classify(500, null)).isEqualTo(EvictionResult.FAILED);
    assertThat(EvictionAnswers.classify(403, null)).isEqualTo(EvictionResult.FAILED);
  }

  @Test
  void backoffFollowsTheServerButNeverHoldsAReclaimLong() {
    assertThat(EvictionAnswers.backoff(1, Optional.empty())).isEqualTo(Duration.ofMillis(200));
    assertThat(EvictionAnswers.backoff(3, Optional.empty())).isEqualTo(Duration.ofMillis(800));
    assertThat(EvictionAnswers.backoff(9, Optional.empty())).isEqualTo(Duration.ofSeconds(2));
    assertThat(EvictionAnswers.backoff(1, Optional.of(Duration.ofSeconds(1))))
        .isEqualTo(Duration.ofSeconds(1));
    assertThat(EvictionAnswers.backoff(1, Optional.of(Duration.ofSeconds(30))))
        .isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void aBodyThatIsNoStatusIsNull() {
    assertThat(EvictionAnswers.status("<html>busy</html>")).isNull();
    assertThat(EvictionAnswers.status("")).isNull();
  }
}
