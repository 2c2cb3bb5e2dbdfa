package io.gleaner.sandbox.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TeamHarvestTest {
  private static final Map<String, Double> WEIGHTS =
      Map.of("ml-batch", 1.0, "search-offline", 1.0, "ads-nearline", 2.0);

  @Test
  void coreHoursInProportionToTheWeightsAreExactlyFair() {
    TeamHarvest.Span s =
        span(Map.of("ml-batch", 25.0, "search-offline", 25.0, "ads-nearline", 50.0));

    assertThat(s.jainIndex()).isEqualTo(1.0);
    TeamHarvest.Team ads = s.teams().get("ads-nearline");
    assertThat(ads.fairShare()).isEqualTo(0.5);
    assertThat(ads.actualShare()).isEqualTo(0.5);
    assertThat(ads.actualOverFair()).isEqualTo(1.0);
    assertThat(ads.weight()).isEqualTo(2.0);
  }

  @Test
  void jainsIndexOfTheWeightedShares() {
    // equal core-hours for weights 1:1:2: weighted shares 4/3, 4/3, 2/3 -> (10/3)^2 / (3 * 4) =
    // 0.926
    TeamHarvest.Span s =
        span(Map.of("ml-batch", 10.0, "search-offline", 10.0, "ads-nearline", 10.0));

    assertThat(s.jainIndex()).isEqualTo(0.926);
    assertThat(s.teams().get("ml-batch").actualOverFair()).isEqualTo(1.333);
  }

  @Test
  void oneTeamTakingEverythingScoresOneOverN() {
    TeamHarvest.Span s = span(Map.of("search-offline", 7.0));

    assertThat(s.jainIndex()).isEqualTo(0.333);
    assertThat(s.teams().get("ads-nearline").harvestedCoreHours()).isZero();
  }

  @Test
  void nothingHarvestedIsNoIndex() {
    assertThat(span(Map.of()).jainIndex()).isZero();
  }

  private static TeamHarvest.Span span(Map<String, Double> coreHours) {
    return TeamHarvest.Span.of(WEIGHTS, coreHours, 0, 1, 2, 0);
  }
}
