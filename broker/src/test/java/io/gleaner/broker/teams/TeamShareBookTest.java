package io.gleaner.broker.teams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.gleaner.meta.fair.Team;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.resources.Resources;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class TeamShareBookTest {
  private static final Teams TEAMS =
      new Teams(
          List.of(
              Team.of("ml-batch", 1, "ml"),
              Team.of("search-offline", 1, "search"),
              Team.of("ads-nearline", 2, "ads").withGuarantee(Resources.of("cpu", "25"))),
          Team.of("default", 1));
  private static final Resources POOL = Resources.of("cpu", "100", "memory", "1000Gi");

  private final AtomicReference<Instant> now =
      new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
  private final Clock clock =
      new Clock() {
        @Override
        public ZoneOffset getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return now.get();
        }
      };

  static TeamShareBook.PodDemand pod(String ns, String cpu) {
    return new TeamShareBook.PodDemand(ns, Resources.of("cpu", cpu, "memory", "1Gi"));
  }

  @Test
  void fairAndActualSharesPendingPodsAndCoreHoursPerTeam() {
    TeamShareBook book = new TeamShareBook(clock);
    // search holds 60 cores, ml 20, ads 0; everyone has pods waiting
    List<TeamShareBook.Share> s =
        book.update(
            POOL,
            TEAMS,
            List.of(pod("search", "40"), pod("search", "20"), pod("ml", "20")),
            List.of(pod("ml", "10"), pod("ml", "10"), pod("ads", "30"), pod("search", "50")));
    Map<String, TeamShareBook.Share> by =
        Map.of(s.get(0).team(), s.get(0), s.get(1).team(), s.get(1), s.get(2).team(), s.get(2));
    assertThat(s)
        .extracting(TeamShareBook.Share::team)
        .containsExactly("ml-batch", "search-offline", "ads-nearline", "default");
    // demands 40 / 110 / 30 cores: ads (weight 2) gets its 30, the other two split 70 evenly
    assertThat(by.get("ads-nearline").fair()).isCloseTo(0.30, within(1e-9));
    assertThat(by.get("ml-batch").fair()).isCloseTo(0.35, within(1e-9));
    assertThat(by.get("search-offline").fair()).isCloseTo(0.35, within(1e-9));
    assertThat(by.get("search-offline").actual()).isCloseTo(0.60, within(1e-9));
    assertThat(by.get("ml-batch").pendingPods()).isEqualTo(2);
    assertThat(by.get("ads-nearline").pendingPods()).isEqualTo(1);
    assertThat(by.get("ml-batch").waiting()).isEqualTo(Resources.of("cpu", "20", "memory", "2Gi"));
    assertThat(s.get(3).waiting().isZero()).isTrue();
    assertThat(by.get("ads-nearline").guarantee()).isEqualTo(Resources.of("cpu", "25"));
    assertThat(by.get("ml-batch").guarantee().isZero()).isTrue();
    assertThat(s.get(3).fair()).isZero();

    now.set(now.get().plus(Duration.ofMinutes(30)));
    book.update(POOL, TEAMS, List.of(pod("search", "10")), List.of());
    now.set(now.get().plus(Duration.ofMinutes(30)));
    // search: 60 cores for half an hour, then 10 for half an hour
    assertThat(book.coreHours("search-offline")).isCloseTo(35.0, within(1e-9));
    assertThat(book.coreHours("ml-batch")).isCloseTo(10.0, within(1e-9));
    assertThat(book.shares().get(1).coreHours()).isCloseTo(35.0, within(1e-9));
  }

  @Test
  void metricsHaveFixedNamesAndATeamTag() {
    TeamShareBook book = new TeamShareBook(clock);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    TeamMetrics metrics = new TeamMetrics(registry, book);
    metrics.update(book.update(POOL, TEAMS, List.of(pod("ml", "25")), List.of(pod("ads", "1"))));
    now.set(now.get().plus(Duration.ofHours(2)));
    assertThat(registry.get(TeamMetrics.ACTUAL_SHARE).tag("team", "ml-batch").gauge().value())
        .isCloseTo(0.25, within(1e-9));
    assertThat(registry.get(TeamMetrics.FAIR_SHARE).tag("team", "ml-batch").gauge().value())
        .isCloseTo(0.25, within(1e-9));
    assertThat(registry.get(TeamMetrics.PENDING_PODS).tag("team", "ads-nearline").gauge().value())
        .isEqualTo(1.0);
    assertThat(
            registry.get(TeamMetrics.CORE_HOURS).tag("team", "ml-batch").functionCounter().count())
        .isCloseTo(50.0, within(1e-9));
  }
}
