package io.gleaner.meta.crd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.meta.fair.Team;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.resources.Resources;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code GleanerPolicy.spec.teams}: validation naming each bad field, defaults, typed form. */
class TeamPolicyTest {

  private static TeamSpec team(String name, Double weight, String... namespaces) {
    return new TeamSpec(name, namespaces.length == 0 ? null : List.of(namespaces), weight);
  }

  private static Map<String, Quantity> q(String... pairs) {
    Map<String, Quantity> m = new java.util.TreeMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], new Quantity(pairs[i + 1]));
    }
    return m;
  }

  static Stream<Arguments> invalidTeams() {
    return Stream.of(
        bad(
            "namespace in two teams",
            s -> s.setTeams(List.of(team("a", null, "x", "y"), team("b", null, "z", "y"))),
            "spec.teams[1].namespaces[1]: namespace \"y\" is already listed at spec.teams[0].namespaces[1]"),
        bad(
            "namespace twice in one team",
            s -> s.setTeams(List.of(team("a", null, "x", "x"))),
            "spec.teams[0].namespaces[1]: namespace \"x\" is already listed at spec.teams[0].namespaces[0]"),
        bad(
            "namespace not a DNS label",
            s -> s.setTeams(List.of(team("a", null, "Team_A"))),
            "spec.teams[0].namespaces[0]: must be a namespace name (a DNS label), got \"Team_A\""),
        bad(
            "duplicate team name",
            s -> s.setTeams(List.of(team("a", null, "x"), team("a", null, "y"))),
            "spec.teams[1].name: team \"a\" is already declared at spec.teams[0]"),
        bad(
            "missing name",
            s -> s.setTeams(List.of(team(null, 1.0, "x"))),
            "spec.teams[0].name: is required"),
        bad(
            "name not a DNS label",
            s -> s.setTeams(List.of(team("ML", 1.0, "x"))),
            "spec.teams[0].name: must be a DNS label, got \"ML\""),
        bad(
            "zero weight",
            s -> s.setTeams(List.of(team("a", 0.0, "x"))),
            "spec.teams[0].weight: must be a finite number greater than 0, got 0"),
        bad(
            "negative weight",
            s -> s.setTeams(List.of(team("a", -2.0, "x"))),
            "spec.teams[0].weight: must be a finite number greater than 0, got -2"),
        bad(
            "NaN weight",
            s -> s.setTeams(List.of(team("a", Double.NaN, "x"))),
            "spec.teams[0].weight: must be a finite number greater than 0, got NaN"),
        bad(
            "infinite weight",
            s -> s.setTeams(List.of(team("a", Double.POSITIVE_INFINITY, "x"))),
            "spec.teams[0].weight: must be a finite number greater than 0, got Infinity"),
        bad(
            "guarantee above cap",
            s -> {
              TeamSpec t = team("a", null, "x");
              t.setGuarantee(q("cpu", "8", "memory", "1Gi"));
              t.setCap(q("cpu", "4"));
              s.setTeams(List.of(t));
            },
            "spec.teams[0].guarantee.cpu: must not exceed the cap (4), got 8"),
        bad(
            "unknown resource",
            s -> {
              TeamSpec t = team("a", null, "x");
              t.setCap(q("pods", "10"));
              s.setTeams(List.of(t));
            },
            "spec.teams[0].cap.pods: unknown resource \"pods\": use one of [cpu, memory, nvidia.com/gpu]"),
        bad(
            "negative guarantee",
            s -> {
              TeamSpec t = team("a", null, "x");
              t.setGuarantee(q("memory", "-1Gi"));
              s.setTeams(List.of(t));
            },
            "spec.teams[0].guarantee.memory: must not be negative, got \"-1Gi\""),
        bad(
            "malformed cap",
            s -> {
              TeamSpec t = team("a", null, "x");
              t.setCap(q("nvidia.com/gpu", "lots"));
              s.setTeams(List.of(t));
            },
            "spec.teams[0].cap.nvidia.com/gpu: "),
        bad(
            "default team lists namespaces",
            s -> s.setTeams(List.of(team("default", 2.0, "x"))),
            "spec.teams[0].namespaces: the team \"default\" takes every namespace no other team"
                + " lists and lists none itself"),
        bad(
            "null entry",
            s -> s.setTeams(java.util.Arrays.asList((TeamSpec) null)),
            "spec.teams[0]: must be a team, got null"));
  }

  private static Arguments bad(String name, Consumer<GleanerPolicySpec> mutation, String error) {
    return Arguments.of(name, mutation, error);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidTeams")
  void eachBadTeamFieldIsNamedWithItsPath(
      String name, Consumer<GleanerPolicySpec> mutation, String error) {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    mutation.accept(spec);

    List<FieldError> errors = spec.validate();

    assertThat(errors).singleElement().satisfies(e -> assertThat(e.toString()).startsWith(error));
    assertThatThrownBy(spec::effective)
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessageContaining(error);
  }

  @Test
  void everyBadTeamFieldIsReportedAtOnce() {
    TeamSpec a = team("a", 0.0, "x");
    a.setGuarantee(q("cpu", "2"));
    a.setCap(q("cpu", "1"));
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setTeams(List.of(a, team("b", null, "x")));

    assertThat(spec.validate())
        .extracting(FieldError::path)
        .containsExactly(
            "spec.teams[0].weight", "spec.teams[0].guarantee.cpu", "spec.teams[1].namespaces[0]");
  }

  @Test
  void withoutTeamsEveryNamespaceIsInTheDefaultTeamOfWeightOne() {
    Teams teams = EffectivePolicy.DEFAULTS.teams();

    assertThat(teams.declared()).isEmpty();
    assertThat(teams.of("anything"))
        .isEqualTo(new Team("default", java.util.Set.of(), 1.0, Resources.ZERO, Map.of()));
    assertThat(new GleanerPolicySpec().effective().teams()).isEqualTo(teams);
  }

  @Test
  void teamsAreTypedWithGuaranteesCapsAndDefaultWeight() {
    TeamSpec ml = team("ml-batch", 2.0, "ml", "ml-dev");
    ml.setGuarantee(q("cpu", "8", "memory", "16Gi"));
    ml.setCap(q("cpu", "64", "nvidia.com/gpu", "0"));
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setTeams(List.of(ml, team("search-offline", null, "search")));

    Teams teams = spec.effective().teams();

    Team t = teams.of("ml-dev");
    assertThat(t.name()).isEqualTo("ml-batch");
    assertThat(t.weight()).isEqualTo(2.0);
    assertThat(t.guarantee()).isEqualTo(Resources.of("cpu", "8", "memory", "16Gi"));
    assertThat(t.cap()).containsExactly(Map.entry("cpu", 64_000L), Map.entry("nvidia.com/gpu", 0L));
    assertThat(teams.of("search").weight()).isEqualTo(1.0);
    assertThat(teams.of("search").cap()).isEmpty();
    assertThat(teams.of("elsewhere").name()).isEqualTo("default");
    assertThat(teams.all())
        .extracting(Team::name)
        .containsExactly("ml-batch", "search-offline", "default");
  }

  @Test
  void declaringTheDefaultTeamTunesIt() {
    TeamSpec d = team("default", 0.5);
    d.setCap(q("cpu", "10"));
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setTeams(List.of(team("a", null, "x"), d));

    Teams teams = spec.effective().teams();

    assertThat(teams.declared()).extracting(Team::name).containsExactly("a");
    assertThat(teams.of("y").weight()).isEqualTo(0.5);
    assertThat(teams.of("y").cap()).containsExactly(Map.entry("cpu", 10_000L));
  }

  @Test
  void yamlRoundTrip() {
    String yaml =
        """
        apiVersion: gleaner.io/v1alpha1
        kind: GleanerPolicy
        metadata:
          name: default
        spec:
          teams:
          - name: ml-batch
            namespaces: [ml]
            weight: 2
            guarantee:
              cpu: "8"
            cap:
              nvidia.com/gpu: "4"
          - name: ads-nearline
            namespaces: [ads]
        """;
    GleanerPolicy policy = Serialization.unmarshal(yaml, GleanerPolicy.class);
    Teams teams = policy.effective().teams();
    assertThat(teams.of("ml").guarantee()).isEqualTo(Resources.of("cpu", "8"));
    assertThat(teams.of("ml").cap()).containsExactly(Map.entry("nvidia.com/gpu", 4L));
    assertThat(teams.of("ads").weight()).isEqualTo(1.0);

    GleanerPolicy back = Serialization.unmarshal(Serialization.asYaml(policy), GleanerPolicy.class);
    assertThat(back.getSpec()).isEqualTo(policy.getSpec());
  }

  @Test
  void schemaNamesTheJavaDefaultsAndBounds() {
    JSONSchemaProps team =
        Crds.definitions().stream()
            .filter(c -> c.getMetadata().getName().equals(GleanerPolicy.CRD_NAME))
            .findFirst()
            .orElseThrow()
            .getSpec()
            .getVersions()
            .get(0)
            .getSchema()
            .getOpenAPIV3Schema()
            .getProperties()
            .get("spec")
            .getProperties()
            .get("teams")
            .getItems()
            .getSchema();
    JSONSchemaProps weight = team.getProperties().get("weight");
    assertThat(weight.getDescription())
        .endsWith(
            "Unset: "
                + Validation.plain(EffectivePolicy.DEFAULTS.teams().defaultTeam().weight())
                + ".");
    assertThat(weight.getMinimum()).isZero();
    assertThat(weight.getExclusiveMinimum()).isTrue();
    assertThat(weight.getDefault()).isNull();
    assertThat(team.getRequired()).containsExactly("name");
    assertThat(team.getProperties().get("name").getPattern()).isEqualTo(Validation.DNS_LABEL);
  }
}
