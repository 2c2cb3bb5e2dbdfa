package io.gleaner.broker.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RejectionsTest {
  @Test
  void countsEveryRejectionButKeepsOnlyTheFirstHundredMessages() {
    Rejections r = new Rejections();
    for (int i = 0; i < 100_000; i++) {
      r.add("offer " + i + " is bad");
    }
    assertThat(r.total()).isEqualTo(100_000);
    assertThat(r.listed()).hasSize(Rejections.LISTED).startsWith("offer 0 is bad");
  }

  @Test
  void fewRejectionsAreAllListed() {
    Rejections r = new Rejections();
    r.add("a");
    r.add("b");
    assertThat(r.listed()).containsExactly("a", "b");
    assertThat(r.total()).isEqualTo(2);
  }
}
