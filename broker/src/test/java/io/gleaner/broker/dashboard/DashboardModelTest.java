package io.gleaner.broker.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.time.FakeClock;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class DashboardModelTest {
  private final FakeClock clock = new FakeClock(Instant.parse("2026-11-23T08:00:00Z"));

  @Test
  void summaryCarriesNumbersInDisplayUnits() {
    DashboardModel model =
        new DashboardModel(
            DashboardFixtures::capacity,
            () -> new PodCounts(Map.of("offline", Map.of("Running", 5L, "Pending", 2L))),
            clock);
    JsonObject s = model.summary();
    assertThat(s.getJsonObject("advertised").getJsonObject("cpu").getDouble("value"))
        .isEqualTo(54.0);
    assertThat(s.getJsonObject("advertised").getJsonObject("memory").getDouble("value"))
        .isEqualTo(140.0);
    assertThat(s.getJsonObject("advertisedOffline").getJsonObject("cpu").getString("text"))
        .isEqualTo("43200m");
    assertThat(s.getJsonObject("largestShape").getJsonObject("cpu").getDouble("value"))
        .isEqualTo(7.5);
    assertThat(s.getJsonObject("pods").getJsonObject("offline").getLong("Pending")).isEqualTo(2L);
    assertThat(s.getJsonArray("members")).hasSize(3);
    JsonArray health = s.getJsonArray("memberHealth");
    assertThat(health.getJsonObject(0).getString("cluster")).isEqualTo("coloc-1");
    assertThat(health.getJsonObject(0).getBoolean("healthy")).isFalse();
  }

  @Test
  void membersThatLendNothingStillShowTheirHealth() {
    DashboardModel model =
        new DashboardModel(DashboardFixtures::capacity, null, clock)
            .withMembers(
                () -> java.util.Set.of("online-1", "online-2", "train-9"),
                () -> Map.of("train-9", "circuit breaker open"));
    JsonArray health = model.summary().getJsonArray("memberHealth");
    assertThat(health).hasSize(5);
    JsonObject train9 =
        health.stream()
            .map(JsonObject.class::cast)
            .filter(h -> h.getString("cluster").equals("train-9"))
            .findFirst()
            .orElseThrow();
    assertThat(train9.getBoolean("healthy")).isFalse();
    assertThat(train9.getString("message")).isEqualTo("circuit breaker open");
    JsonObject online2 =
        health.stream()
            .map(JsonObject.class::cast)
            .filter(h -> h.getString("cluster").equals("online-2"))
            .findFirst()
            .orElseThrow();
    assertThat(online2.getBoolean("healthy")).isTrue();
    assertThat(online2.getInteger("nodes")).isZero();
  }

  @Test
  void historyIsBoundedAndStacksBySourceAndCluster() {
    AtomicReference<io.gleaner.api.v1.Capacity> cap =
        new AtomicReference<>(DashboardFixtures.capacity());
    DashboardModel model = new DashboardModel(cap::get, null, clock);
    for (int i = 0; i < DashboardModel.HISTORY + 10; i++) {
      model.sample();
      clock.advance(Duration.ofSeconds(5));
    }
    JsonArray h = model.history();
    assertThat(h).hasSize(DashboardModel.HISTORY);
    JsonObject last = h.getJsonObject(h.size() - 1);
    assertThat(last.getJsonObject("bySource").getDouble("IDLE")).isEqualTo(32.0);
    assertThat(last.getJsonObject("bySource").getDouble("VOLCANO")).isEqualTo(10.0);
    assertThat(last.getJsonObject("byCluster").getDouble("coloc-1")).isEqualTo(18.0);
    assertThat(h.getJsonObject(0).getLong("t")).isLessThan(last.getLong("t"));
  }

  @Test
  void reclaimsAreNewestFirstWithLatency() {
    DashboardModel model = new DashboardModel(DashboardFixtures::capacity, null, clock);
    for (int i = 0; i < DashboardModel.RECLAIMS + 5; i++) {
      model.record(DashboardFixtures.reclaim().toBuilder().setId("r-" + i).build());
    }
    JsonArray r = model.reclaims();
    assertThat(r).hasSize(DashboardModel.RECLAIMS);
    assertThat(r.getJsonObject(0).getString("id")).isEqualTo("r-" + (DashboardModel.RECLAIMS + 4));
    assertThat(r.getJsonObject(0).getLong("latencyMs")).isEqualTo(140L);
    assertThat(r.getJsonObject(0).getJsonArray("victims").getJsonObject(0).getString("pod"))
        .isEqualTo("batch/gl-abc");
  }

  @Test
  void summaryCarriesTheHarvestPerSource() {
    DashboardModel model =
        new DashboardModel(DashboardFixtures::capacity, null, clock)
            .withHarvest(
                () ->
                    Map.of(
                        "idle",
                        new io.gleaner.broker.grpc.HarvestMetrics.SourceFigures(40, 0, 2, 5)));
    JsonObject idle = model.summary().getJsonObject("harvest").getJsonObject("idle");
    assertThat(idle.getDouble("coreHours")).isEqualTo(40.0);
    assertThat(idle.getLong("reclaimedPods")).isEqualTo(5L);
    assertThat(idle.getDouble("reclaimsPer100CoreHours")).isEqualTo(5.0);
  }
}
