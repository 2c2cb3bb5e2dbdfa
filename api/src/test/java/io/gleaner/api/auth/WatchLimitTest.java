package io.gleaner.api.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import org.junit.jupiter.api.Test;

class WatchLimitTest {
  private final WatchLimit limit = new WatchLimit("Watch streams", "server.maxWatches", 2);

  @Test
  void eachIdentityHoldsAtMostTheLimitAndAClosedStreamMakesRoom() {
    assertThat(limit.tryOpen("reader")).isTrue();
    assertThat(limit.tryOpen("reader")).isTrue();
    assertThat(limit.tryOpen("reader")).isFalse();
    assertThat(limit.open("reader")).as("a refused stream counts nothing").isEqualTo(2);
    assertThat(limit.tryOpen("dashboard")).as("another identity").isTrue();

    limit.close("reader");
    assertThat(limit.tryOpen("reader")).isTrue();
    limit.close("dashboard");
    limit.close("dashboard"); // one close too many counts nothing below zero
    assertThat(limit.open("dashboard")).isZero();
  }

  @Test
  void theRefusalNamesTheIdentityTheLimitAndTheSetting() {
    Status s = limit.refusal("reader").getStatus();
    assertThat(s.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(s.getDescription())
        .isEqualTo(
            "\"reader\" already holds 2 Watch streams, the most one identity may hold"
                + " (server.maxWatches)");
  }

  @Test
  void unauthenticatedCallersCountAsOneAndTheLimitIsAtLeastOne() {
    assertThat(WatchLimit.caller()).isEqualTo(Identities.ANONYMOUS);
    assertThatThrownBy(() -> new WatchLimit("s", "k", 0)).hasMessage("k must be at least 1, got 0");
  }
}
