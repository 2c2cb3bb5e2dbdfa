package io.gleaner.meta.coord;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LeaderLeaseTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final LeaderLease lease = new LeaderLease(now::get);

  @Test
  void closedUntilConfirmedThenOpenUntilSentAtPlusTheBound() {
    assertThat(lease.valid()).isFalse();
    long sentAt = lease.now();
    long token = lease.token();
    now.addAndGet(Duration.ofMillis(300).toNanos()); // the round trip
    assertThat(lease.confirm(token, sentAt, Duration.ofSeconds(10))).isTrue();
    assertThat(lease.remaining()).isEqualTo(Duration.ofMillis(9_700));

    now.addAndGet(Duration.ofMillis(9_699).toNanos());
    assertThat(lease.valid()).isTrue();
    now.addAndGet(Duration.ofMillis(1).toNanos());
    assertThat(lease.valid()).as("measured from when the confirmation was sent").isFalse();
  }

  @Test
  void aConfirmationThatStartedBeforeARevokeCountsForNothing() {
    lease.confirm(lease.token(), lease.now(), Duration.ofSeconds(10));
    long token = lease.token();
    long sentAt = lease.now();
    lease.revoke(); // SUSPENDED while the round trip was under way
    assertThat(lease.valid()).isFalse();
    assertThat(lease.confirm(token, sentAt, Duration.ofSeconds(10))).isFalse();
    assertThat(lease.valid()).isFalse();

    assertThat(lease.confirm(lease.token(), lease.now(), Duration.ofSeconds(10))).isTrue();
  }

  @Test
  void anOlderConfirmationNeverShortensTheLease() {
    long early = lease.now();
    now.addAndGet(Duration.ofSeconds(2).toNanos());
    lease.confirm(lease.token(), lease.now(), Duration.ofSeconds(10));
    lease.confirm(lease.token(), early, Duration.ofSeconds(10));
    assertThat(lease.remaining()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void aClockJumpPastTheDeadlineClosesIt() {
    lease.confirm(lease.token(), lease.now(), Duration.ofSeconds(10));
    now.addAndGet(Duration.ofSeconds(25).toNanos()); // SIGSTOP for 25 s, then SIGCONT
    assertThat(lease.valid()).isFalse();
    assertThat(lease.remaining()).isNegative();
  }
}
