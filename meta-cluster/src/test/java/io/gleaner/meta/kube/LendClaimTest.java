package io.gleaner.meta.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.kube.LendClaim.Standing;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LendClaimTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final Duration TTL = Duration.ofMinutes(15);

  private static Map<String, String> lentBy(String instance) {
    return Map.of(GleanerKeys.POOL, "idle", GleanerKeys.LENT_BY, instance);
  }

  private static Map<String, String> renewed(Instant at) {
    return Map.of(GleanerKeys.LENT_RENEWED_AT, at.toString());
  }

  @Test
  void aNodeWithoutAPoolLabelIsUnclaimedWhateverItsLentBy() {
    assertThat(LendClaim.of(Map.of(GleanerKeys.LENT_BY, "a"), renewed(T0))).isEmpty();
    assertThat(LendClaim.of(Map.of(GleanerKeys.POOL, "", GleanerKeys.LENT_BY, "a"), renewed(T0)))
        .isEmpty();
    assertThat(LendClaim.standing(Map.of(), Map.of(), "a", T0, TTL)).isEqualTo(Standing.UNCLAIMED);
  }

  @Test
  void colocationAndVolcanoRoomIsClaimedAsAnIdleNodeIs() {
    for (String pool : new String[] {"colocation", "volcano"}) {
      Map<String, String> labels = Map.of(GleanerKeys.POOL, pool, GleanerKeys.LENT_BY, "b");
      assertThat(LendClaim.of(labels, renewed(T0)))
          .contains(new LendClaim("b", pool, java.util.Optional.of(T0)));
      assertThat(LendClaim.standing(labels, renewed(T0), "a", T0, TTL))
          .isEqualTo(Standing.OTHER_LIVE);
      assertThat(LendClaim.standing(labels, renewed(T0), "a", T0.plus(TTL), TTL))
          .isEqualTo(Standing.OTHER_STALE);
      assertThat(LendClaim.standing(labels, renewed(T0), "b", T0, TTL)).isEqualTo(Standing.OWN);
      assertThat(LendClaim.claimedByAnother(labels, renewed(T0), "a")).isTrue();
    }
  }

  @Test
  void aNodeShowsAnInstancesClaimOnlyForThePoolItClaims() {
    Map<String, String> labels = Map.of(GleanerKeys.POOL, "colocation", GleanerKeys.LENT_BY, "a");
    assertThat(LendClaim.shows(labels, Map.of(), "a", "colocation")).isTrue();
    assertThat(LendClaim.shows(labels, Map.of(), "a", "volcano")).isFalse();
    assertThat(LendClaim.shows(labels, Map.of(), "b", "colocation")).isFalse();
    assertThat(LendClaim.shows(Map.of(GleanerKeys.POOL, "colocation"), Map.of(), "a", "colocation"))
        .isFalse();
  }

  @Test
  void aNodeLentBeforeClaimsExistedIsUnclaimed() {
    assertThat(LendClaim.standing(Map.of(GleanerKeys.POOL, "idle"), Map.of(), "a", T0, TTL))
        .isEqualTo(Standing.UNCLAIMED);
    assertThat(LendClaim.claimedByAnother(Map.of(GleanerKeys.POOL, "idle"), Map.of(), "a"))
        .isFalse();
  }

  @Test
  void theOwnClaimIsOwnEvenWhenStale() {
    assertThat(LendClaim.standing(lentBy("a"), renewed(T0), "a", T0.plus(Duration.ofDays(1)), TTL))
        .isEqualTo(Standing.OWN);
    assertThat(LendClaim.claimedByAnother(lentBy("a"), Map.of(), "a")).isFalse();
  }

  @Test
  void anotherInstancesClaimIsLiveUntilItsTimeToLivePassesWithoutRenewal() {
    assertThat(LendClaim.standing(lentBy("b"), renewed(T0), "a", T0, TTL))
        .isEqualTo(Standing.OTHER_LIVE);
    assertThat(LendClaim.standing(lentBy("b"), renewed(T0), "a", T0.plus(TTL).minusMillis(1), TTL))
        .isEqualTo(Standing.OTHER_LIVE);
    assertThat(LendClaim.standing(lentBy("b"), renewed(T0), "a", T0.plus(TTL), TTL))
        .isEqualTo(Standing.OTHER_STALE);
    assertThat(LendClaim.claimedByAnother(lentBy("b"), renewed(T0), "a")).isTrue();
  }

  @Test
  void aClaimNeverRenewedOrWithAMalformedTimeIsStale() {
    assertThat(LendClaim.standing(lentBy("b"), Map.of(), "a", T0, TTL))
        .isEqualTo(Standing.OTHER_STALE);
    assertThat(
            LendClaim.standing(
                lentBy("b"), Map.of(GleanerKeys.LENT_RENEWED_AT, "yesterday"), "a", T0, TTL))
        .isEqualTo(Standing.OTHER_STALE);
  }

  @Test
  void renewalIsDueWhenMissingOrOlderThanTheRenewalPeriod() {
    Duration every = Duration.ofMinutes(2);
    LendClaim fresh = LendClaim.of(lentBy("a"), renewed(T0)).orElseThrow();
    assertThat(fresh.instance()).isEqualTo("a");
    assertThat(fresh.renewalDue(T0.plus(every).minusMillis(1), every)).isFalse();
    assertThat(fresh.renewalDue(T0.plus(every), every)).isTrue();
    assertThat(LendClaim.of(lentBy("a"), Map.of()).orElseThrow().renewalDue(T0, every)).isTrue();
  }
}
