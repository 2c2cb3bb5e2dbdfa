package io.gleaner.broker.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ReclaimPenaltyTest {
  private static final long MIN = 60_000;
  private static final long RECLAIMED = 1_000 * MIN;
  private static final long COOLED = RECLAIMED + 30 * MIN;

  @Test
  void fullUntilTheCoolDownEndsThenFallsLinearlyToZeroOverAsLongAgain() {
    assertThat(ReclaimPenalty.at(RECLAIMED, COOLED, RECLAIMED)).isEqualTo(1);
    assertThat(ReclaimPenalty.at(RECLAIMED, COOLED, COOLED)).isEqualTo(1);
    assertThat(ReclaimPenalty.at(RECLAIMED, COOLED, COOLED + 6 * MIN)).isCloseTo(0.8, within(1e-9));
    assertThat(ReclaimPenalty.at(RECLAIMED, COOLED, COOLED + 15 * MIN))
        .isCloseTo(0.5, within(1e-9));
    assertThat(ReclaimPenalty.at(RECLAIMED, COOLED, COOLED + 30 * MIN - 1)).isGreaterThan(0);
    assertThat(ReclaimPenalty.at(RECLAIMED, COOLED, COOLED + 30 * MIN)).isZero();
    assertThat(ReclaimPenalty.at(RECLAIMED, COOLED, COOLED + 365 * 24 * 60 * MIN)).isZero();
  }

  @Test
  void decreasesMonotonically() {
    double last = 1;
    for (long t = COOLED; t <= COOLED + 31 * MIN; t += MIN / 7) {
      double p = ReclaimPenalty.at(RECLAIMED, COOLED, t);
      assertThat(p).isBetween(0.0, 1.0).isLessThanOrEqualTo(last);
      last = p;
    }
  }

  @Test
  void noReclaimNoCoolDownOrNoClockMeansNoPenalty() {
    assertThat(ReclaimPenalty.at(0, 0, COOLED)).isZero();
    assertThat(ReclaimPenalty.at(0, COOLED, COOLED))
        .as("cool-down without a reclaim time")
        .isZero();
    assertThat(ReclaimPenalty.at(RECLAIMED, RECLAIMED, RECLAIMED)).as("zero cool-down").isZero();
    assertThat(ReclaimPenalty.at(RECLAIMED, RECLAIMED - 1, RECLAIMED)).isZero();
    assertThat(ReclaimPenalty.at(RECLAIMED, COOLED, 0)).as("decision without a clock").isZero();
  }

  @Test
  void slotsKeepTheirOwnReclaimAndUnknownSlotsHaveNone() {
    ReclaimPenalty p = new ReclaimPenalty();
    assertThat(p.of(5, COOLED)).isZero();
    p.set(5, RECLAIMED, COOLED);
    p.set(0, RECLAIMED, RECLAIMED + 10 * MIN);
    assertThat(p.of(5, COOLED + 15 * MIN)).isEqualTo(0.5f);
    assertThat(p.of(0, COOLED + 15 * MIN)).isZero();
    assertThat(p.of(3, COOLED)).isZero();
    assertThat(p.of(99, COOLED)).isZero();
    p.set(5, 0, 0);
    assertThat(p.of(5, COOLED)).isZero();
  }
}
