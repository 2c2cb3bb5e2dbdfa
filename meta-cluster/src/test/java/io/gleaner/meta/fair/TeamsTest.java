package io.gleaner.meta.fair;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gleaner.meta.resources.Resources;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TeamsTest {
  private static final Team DEFAULT = Team.of("default", 1);

  @Test
  void aNamespaceBelongsToTheTeamListingItElseToTheDefaultTeam() {
    Teams teams =
        new Teams(List.of(Team.of("ml", 2, "ml-a", "ml-b"), Team.of("ads", 1, "ads")), DEFAULT);

    assertThat(teams.of("ml-b").name()).isEqualTo("ml");
    assertThat(teams.of("ads").name()).isEqualTo("ads");
    assertThat(teams.of("kube-system")).isSameAs(DEFAULT);
    assertThat(teams.named("ml").weight()).isEqualTo(2);
    assertThat(teams.named("nobody")).isNull();
    assertThat(teams.all()).extracting(Team::name).containsExactly("ml", "ads", "default");
  }

  @Test
  void refusesSharedNamespacesSharedNamesAndADefaultTeamWithNamespaces() {
    assertThatThrownBy(
            () -> new Teams(List.of(Team.of("a", 1, "x"), Team.of("b", 1, "x")), DEFAULT))
        .hasMessage("namespace x is in teams a and b");
    assertThatThrownBy(
            () -> new Teams(List.of(Team.of("a", 1, "x"), Team.of("a", 1, "y")), DEFAULT))
        .hasMessage("two teams are named a");
    assertThatThrownBy(() -> new Teams(List.of(Team.of("default", 1, "y")), DEFAULT))
        .hasMessage("two teams are named default");
    assertThatThrownBy(() -> Teams.only(Team.of("default", 1, "x")))
        .hasMessage("the default team lists no namespaces");
    assertThatThrownBy(() -> Team.of("a", 0)).hasMessage("team a: weight must be > 0, got 0.0");
  }

  @Test
  void aCapOfZeroAllowsNoneOfTheResourceAndAnUncappedResourceIsUnlimited() {
    Team t = Team.of("a", 1).withCap(Map.of("nvidia.com/gpu", 0L, "cpu", 4000L));

    assertThat(t.overCap(Resources.of("cpu", "4", "memory", "1Ti"))).isEmpty();
    assertThat(t.overCap(Resources.of("cpu", "4001m", "nvidia.com/gpu", "1")))
        .containsExactly("cpu", "nvidia.com/gpu");
  }

  @Test
  void belowGuaranteeOnlyForAResourceThePodAsksFor() {
    Team t = Team.of("a", 1).withGuarantee(Resources.of("nvidia.com/gpu", "2", "cpu", "4"));
    Resources usage = Resources.of("cpu", "8", "nvidia.com/gpu", "1");

    assertThat(t.belowGuarantee(usage, Resources.of("cpu", "1"))).isFalse();
    assertThat(t.belowGuarantee(usage, Resources.of("cpu", "1", "nvidia.com/gpu", "1"))).isTrue();
    assertThat(Team.of("b", 1).belowGuarantee(Resources.ZERO, Resources.of("cpu", "1"))).isFalse();
    assertThat(t.namespaces()).isEqualTo(Set.of());
  }

  @Test
  void dominantShareIsTheLargestShareOfCpuMemoryOrGpusAndIgnoresWhatThePoolLacks() {
    Resources pool = Resources.of("cpu", "100", "memory", "400Gi", "pods", "10");

    assertThat(Shares.dominant(Resources.of("cpu", "10", "memory", "80Gi"), pool)).isEqualTo(0.2);
    assertThat(Shares.dominant(Resources.of("cpu", "30", "memory", "80Gi"), pool)).isEqualTo(0.3);
    assertThat(Shares.dominant(Resources.of("cpu", "1", "pods", "10"), pool)).isEqualTo(0.01);
    assertThat(Shares.dominant(Resources.of("nvidia.com/gpu", "4"), pool)).isZero();
    assertThat(Shares.dominant(Resources.of("cpu", "150"), pool)).isEqualTo(1.5);
    assertThat(Shares.dominant(Resources.of("cpu", "1"), Resources.ZERO)).isZero();
  }
}
