package io.gleaner.sandbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleaner.sandbox.scenario.HarvestAccounting;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The harvest accounting's names in the summary JSON, as the issue and the README spell them. */
class SummaryJsonTest {
  @Test
  void harvestFieldsAreSnakeCase() throws Exception {
    HarvestAccounting h =
        new HarvestAccounting(
            Map.of("IDLE", 10.0, "TOTAL", 10.0),
            Map.of("IDLE", 4.0, "TOTAL", 4.0),
            Map.of("IDLE", 0.4, "TOTAL", 0.4),
            Map.of(),
            Map.of(),
            1.5,
            0,
            2,
            50,
            3,
            10,
            20,
            30,
            1);
    JsonNode json = SandboxCommand.json().valueToTree(h);
    assertThat(json.path("lendable_core_hours").path("IDLE").asDouble()).isEqualTo(10.0);
    assertThat(json.path("harvest_ratio").path("TOTAL").asDouble()).isEqualTo(0.4);
    assertThat(json.path("wasted_core_hours").asDouble()).isEqualTo(1.5);
    assertThat(json.path("reclaims_per_100_harvested_core_hours").asDouble()).isEqualTo(50.0);
    assertThat(json.path("online_delay_seconds_p99").asDouble()).isEqualTo(20.0);
    assertThat(json.path("online_pods_never_ran").asLong()).isEqualTo(1);
    assertThat(json.has("reclaims_per100_harvested_core_hours")).isFalse();
  }
}
