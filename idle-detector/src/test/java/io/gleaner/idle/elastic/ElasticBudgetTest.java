package io.gleaner.idle.elastic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ElasticBudgetTest {
  static final Instant T0 = Instant.parse("2026-12-05T10:00:00Z");

  @Test
  void heldCoresIntegrateOverTime() {
    ElasticBudget b = new ElasticBudget();
    b.observe("el", T0, 8000);
    assertThat(b.spentToday(T0.plus(Duration.ofMinutes(30)))).isCloseTo(4.0, within(1e-9));
    b.observe("el", T0.plus(Duration.ofHours(1)), 2000);
    assertThat(b.spentToday(T0.plus(Duration.ofHours(2)))).isCloseTo(10.0, within(1e-9));
    assertThat(b.heldMillis()).isEqualTo(2000);
  }

  @Test
  void membersAddUpAndAForgottenOneStopsCounting() {
    ElasticBudget b = new ElasticBudget();
    b.observe("a", T0, 1000);
    b.observe("b", T0, 3000);
    b.forget("a", T0.plus(Duration.ofHours(1)));
    assertThat(b.heldMillis()).isEqualTo(3000);
    assertThat(b.spentToday(T0.plus(Duration.ofHours(2)))).isCloseTo(7.0, within(1e-9));
  }

  @Test
  void theDayStartsAtZeroAtUtcMidnightAndTheTotalKeepsAll() {
    ElasticBudget b = new ElasticBudget();
    Instant evening = Instant.parse("2026-12-05T23:00:00Z");
    b.observe("el", evening, 4000);
    Instant next = Instant.parse("2026-12-06T01:00:00Z");
    assertThat(b.spentToday(next)).isCloseTo(4.0, within(1e-9));
    assertThat(b.spentTotal(next)).isCloseTo(8.0, within(1e-9));
    // two days later: whole days in between are skipped day by day
    Instant later = Instant.parse("2026-12-08T00:30:00Z");
    assertThat(b.spentToday(later)).isCloseTo(2.0, within(1e-9));
  }

  @Test
  void nothingHeldNothingSpentAndTimeGoingBackIsIgnored() {
    ElasticBudget b = new ElasticBudget();
    assertThat(b.spentToday(T0)).isZero();
    b.observe("el", T0, 0);
    assertThat(b.spentToday(T0.plus(Duration.ofHours(5)))).isZero();
    b.observe("el", T0.plus(Duration.ofHours(5)), 1000);
    assertThat(b.spentToday(T0.plus(Duration.ofHours(4)))).isZero();
    assertThat(b.spentToday(T0.plus(Duration.ofHours(6)))).isCloseTo(1.0, within(1e-9));
  }

  @Test
  void aResumedBudgetKeepsTheDaysSpendingAndOnlyTheTotalOfAnEarlierDay() {
    ElasticBudget before = new ElasticBudget();
    before.observe("el", T0, 8000);
    ElasticBudget.Spent saved = before.spent(T0.plus(Duration.ofMinutes(45)));
    assertThat(saved.today()).isCloseTo(6.0, within(1e-9));

    ElasticBudget sameDay = new ElasticBudget();
    sameDay.resume(ElasticBudget.Spent.decode(saved.encode()), T0.plus(Duration.ofHours(1)));
    assertThat(sameDay.spentToday(T0.plus(Duration.ofHours(1)))).isCloseTo(6.0, within(1e-6));
    sameDay.observe("el", T0.plus(Duration.ofHours(1)), 2000);
    assertThat(sameDay.spentToday(T0.plus(Duration.ofHours(2)))).isCloseTo(8.0, within(1e-6));
    // midnight resets a resumed day as any other
    assertThat(sameDay.spentToday(Instant.parse("2026-12-06T00:30:00Z")))
        .isCloseTo(1.0, within(1e-6));

    ElasticBudget nextDay = new ElasticBudget();
    nextDay.resume(saved, Instant.parse("2026-12-06T08:00:00Z"));
    assertThat(nextDay.spentToday(Instant.parse("2026-12-06T08:00:00Z"))).isZero();
    assertThat(nextDay.spentTotal(Instant.parse("2026-12-06T08:00:00Z")))
        .isCloseTo(6.0, within(1e-6));
  }

  @Test
  void unreadableSpendingIsRefused() {
    assertThatThrownBy(() -> ElasticBudget.Spent.decode("2026-12-05 six".getBytes()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ElasticBudget.Spent.decode("yesterday 1 2".getBytes()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
