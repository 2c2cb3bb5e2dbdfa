package io.gleaner.meta.crd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.meta.resources.Resources;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GleanerPolicyValidationTest {

  static Stream<Arguments> invalidSpecs() {
    return Stream.of(
        bad(
            "margin above 1",
            s -> s.setReserveMargins(new ReserveMargins(1.5, null, null, null)),
            "spec.reserveMargins.IDLE: must be between 0 and 1, got 1.5"),
        bad(
            "negative margin",
            s -> s.setReserveMargins(new ReserveMargins(null, null, -0.1, null)),
            "spec.reserveMargins.COLOCATION: must be between 0 and 1, got -0.1"),
        bad(
            "NaN margin",
            s -> s.setReserveMargins(new ReserveMargins(null, null, null, Double.NaN)),
            "spec.reserveMargins.ELASTIC: must be between 0 and 1, got NaN"),
        bad(
            "near-line reserve 2",
            s -> s.setNearLineReserve(2.0),
            "spec.nearLineReserve: must be between 0 and 1, got 2"),
        bad(
            "cpu usage fraction",
            s -> s.setIdleThresholds(new IdleThresholds(null, null, 1.01)),
            "spec.idleThresholds.cpuUsageFraction: must be between 0 and 1, got 1.01"),
        bad(
            "memory request fraction",
            s -> s.setIdleThresholds(new IdleThresholds(null, -1.0, null)),
            "spec.idleThresholds.memoryRequestFraction: must be between 0 and 1, got -1"),
        bad(
            "idleAfter without unit",
            s -> s.setIdleAfter("10"),
            "spec.idleAfter: invalid duration \"10\": the number 10 has no unit"),
        bad(
            "cool-down unknown unit",
            s -> s.setReclaimCooldown("30min"),
            "spec.reclaimCooldown: invalid duration \"30min\": unknown unit \"min\""),
        bad(
            "days are not Kubernetes units",
            s -> s.setIdleAfter("1d"),
            "spec.idleAfter: invalid duration \"1d\": use Kubernetes units ns, us, ms, s, m or h, e.g. 10m, 1h30m, 90s"),
        bad(
            "ISO-8601 is not a Kubernetes duration",
            s -> s.setReclaimCooldown("PT10M"),
            "spec.reclaimCooldown: invalid duration \"PT10M\": use Kubernetes units"),
        bad(
            "timeout negative",
            s -> s.setMemberUnreachableTimeout("-5m"),
            "spec.memberUnreachableTimeout: invalid duration \"-5m\": must not be negative"),
        bad(
            "pending timeout in days",
            s -> s.setPlacement(new PlacementSettings("2d")),
            "spec.placement.pendingTimeout: invalid duration \"2d\": use Kubernetes units"),
        bad(
            "negative forecast weight",
            s -> s.setForecast(new ForecastSettings(null, -0.1, null, null, null, null)),
            "spec.forecast.weekWeight: must be a finite number >= 0, got -0.1"),
        bad(
            "infinite forecast weight",
            s ->
                s.setForecast(
                    new ForecastSettings(null, null, Double.POSITIVE_INFINITY, null, null, null)),
            "spec.forecast.dayWeight: must be a finite number >= 0, got Infinity"),
        bad(
            "every forecast weight zero",
            s -> s.setForecast(new ForecastSettings(null, 0.0, 0.0, 0.0, null, null)),
            "spec.forecast: at least one of weekWeight, dayWeight, lastHourWeight must be greater"
                + " than 0"),
        bad(
            "forecast margin above 1",
            s -> s.setForecast(new ForecastSettings(null, null, null, null, 1.5, null)),
            "spec.forecast.safetyMargin: must be between 0 and 1, got 1.5"),
        bad(
            "forecast lead time in days",
            s -> s.setForecast(new ForecastSettings(null, null, null, null, null, "1d")),
            "spec.forecast.leadTime: invalid duration \"1d\": use Kubernetes units"),
        bad(
            "zero eviction rate",
            s -> s.setEviction(new EvictionLimits(0.0, null)),
            "spec.eviction.evictionsPerSecondPerCluster: must be greater than 0, got 0"),
        bad(
            "zero concurrency",
            s -> s.setEviction(new EvictionLimits(null, 0)),
            "spec.eviction.maxConcurrentPerCluster: must be greater than 0, got 0"),
        bad(
            "bad headroom quantity",
            s -> s.setNodeHeadroom(Map.of("cpu", new Quantity("lots"))),
            "spec.nodeHeadroom.cpu: "),
        bad(
            "negative headroom",
            s -> s.setNodeHeadroom(Map.of("memory", new Quantity("-1Gi"))),
            "spec.nodeHeadroom.memory: must not be negative, got \"-1Gi\""),
        bad(
            "unknown pod security level",
            s -> s.setPodSecurity("Baseline"),
            "spec.podSecurity: must be one of privileged, baseline, restricted, got \"Baseline\""));
  }

  private static Arguments bad(String name, Consumer<GleanerPolicySpec> mutation, String error) {
    return Arguments.of(name, mutation, error);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidSpecs")
  void eachBadFieldIsNamedWithItsPath(
      String name, Consumer<GleanerPolicySpec> mutation, String error) {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    mutation.accept(spec);

    List<FieldError> errors = spec.validate();

    assertThat(errors).singleElement().satisfies(e -> assertThat(e.toString()).startsWith(error));
    assertThatThrownBy(spec::effective)
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessageContaining(error)
        .satisfies(e -> assertThat(((InvalidPolicyException) e).errors()).isEqualTo(errors));
  }

  @Test
  void reportsEveryBadFieldAtOnce() {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setReserveMargins(new ReserveMargins(1.5, 2.0, null, null));
    spec.setIdleAfter("soon");
    assertThat(spec.validate())
        .extracting(FieldError::path)
        .containsExactly(
            "spec.reserveMargins.IDLE", "spec.reserveMargins.VOLCANO", "spec.idleAfter");
  }

  @Test
  void elasticIsOffByDefaultAndItsBudgetIsValidated() {
    EffectivePolicy d = new GleanerPolicySpec().effective();
    assertThat(d.elastic()).isEqualTo(new EffectivePolicy.Elastic(0, 100));
    assertThat(d.elastic().enabled()).isFalse();
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setElastic(new ElasticSettings(32, null));
    assertThat(spec.effective().elastic()).isEqualTo(new EffectivePolicy.Elastic(32, 100));
    assertThat(spec.effective().elastic().enabled()).isTrue();
    spec.setElastic(new ElasticSettings(-1, Double.NaN));
    assertThat(spec.validate())
        .extracting(FieldError::path)
        .containsExactly("spec.elastic.maxCores", "spec.elastic.coreHoursPerDay");
    spec.setElastic(new ElasticSettings(8, 0.0));
    assertThat(spec.effective().elastic().enabled()).isFalse();
  }

  @Test
  void emptySpecGivesTheDocumentedDefaults() {
    EffectivePolicy p = new GleanerPolicySpec().effective();

    assertThat(p).isEqualTo(EffectivePolicy.DEFAULTS);
    assertThat(p.reserveMargin(CapacitySource.IDLE)).isEqualTo(0.10);
    assertThat(p.reserveMargin(CapacitySource.VOLCANO)).isEqualTo(0.10);
    assertThat(p.reserveMargin(CapacitySource.COLOCATION)).isEqualTo(0.15);
    assertThat(p.reserveMargin(CapacitySource.ELASTIC)).isEqualTo(0.05);
    assertThat(p.nearLineReserve()).isEqualTo(0.2);
    assertThat(p.idle()).isEqualTo(new EffectivePolicy.Idle(0.2, 0.2, 0.1, Duration.ofMinutes(10)));
    assertThat(p.reclaimCooldown()).isEqualTo(Duration.ofMinutes(30));
    assertThat(p.eviction()).isEqualTo(new EffectivePolicy.Eviction(10.0, 50));
    assertThat(p.memberUnreachableTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(p.nodeHeadroom()).isEqualTo(Resources.of("cpu", "200m", "memory", "256Mi"));
    assertThat(p.pendingTimeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(p.forecast())
        .isEqualTo(new EffectivePolicy.Forecast(true, 0.1, 0.3, 0.6, 0.15, Duration.ofMinutes(30)));
    assertThat(p.podSecurity()).isEqualTo(PodSecurityLevel.BASELINE);
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.EnumSource(PodSecurityLevel.class)
  void podSecurityNamesAPodSecurityStandardLevel(PodSecurityLevel level) {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setPodSecurity(level.label());
    assertThat(level.label()).matches(PodSecurityLevel.PATTERN);
    assertThat(spec.effective().podSecurity()).isEqualTo(level);
  }

  @Test
  void forecastFieldsOverrideOnlyThemselvesAndOneWeightMayCarryTheMix() {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setForecast(new ForecastSettings(false, 0.0, 0.0, null, 0.0, "45m"));

    EffectivePolicy.Forecast f = spec.effective().forecast();

    assertThat(f)
        .isEqualTo(new EffectivePolicy.Forecast(false, 0.0, 0.0, 0.6, 0.0, Duration.ofMinutes(45)));
  }

  @Test
  void setFieldsOverrideOnlyThemselves() {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setReserveMargins(new ReserveMargins(0.3, null, null, null));
    spec.setIdleThresholds(new IdleThresholds(null, 0.5, null));
    spec.setIdleAfter("1h30m");
    spec.setEviction(new EvictionLimits(null, 3));
    spec.setNodeHeadroom(Map.of("cpu", new Quantity("1"), "nvidia.com/gpu", new Quantity("0")));

    EffectivePolicy p = spec.effective();

    assertThat(p.reserveMargin(CapacitySource.IDLE)).isEqualTo(0.3);
    assertThat(p.reserveMargin(CapacitySource.VOLCANO)).isEqualTo(0.10);
    assertThat(p.idle()).isEqualTo(new EffectivePolicy.Idle(0.2, 0.5, 0.1, Duration.ofMinutes(90)));
    assertThat(p.eviction()).isEqualTo(new EffectivePolicy.Eviction(10.0, 3));
    assertThat(p.nodeHeadroom()).isEqualTo(Resources.of("cpu", "1"));
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(
      strings = {"10m", "1h30m", "90s", "1.5h", "250ms", "0", "0s", "100us", "72h"})
  void kubernetesDurationsAreAcceptedByJavaAndByTheSchemaPattern(String text) {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setIdleAfter(text);
    assertThat(spec.validate()).isEmpty();
    assertThat(text).matches(Validation.DURATION_PATTERN);
  }

  @Test
  void boundaryValuesAreValid() {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setReserveMargins(new ReserveMargins(0.0, 1.0, 0.0, 1.0));
    spec.setNearLineReserve(0.0);
    spec.setIdleAfter("0");
    assertThat(spec.validate()).isEmpty();
  }

  @Test
  void afterMarginRoundsDownAndNeverExceedsTheMargin() {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setReserveMargins(new ReserveMargins(0.1, 0.333, 0.0, 1.0));
    EffectivePolicy p = spec.effective();
    Resources usable = Resources.of("cpu", "10", "memory", "1000", "pods", "3");

    assertThat(p.afterMargin(CapacitySource.IDLE, usable))
        .isEqualTo(Resources.of("cpu", "9", "memory", "900", "pods", "2"));
    assertThat(p.afterMargin(CapacitySource.VOLCANO, usable))
        .isEqualTo(Resources.of("cpu", "6670m", "memory", "667", "pods", "2"));
    assertThat(p.afterMargin(CapacitySource.COLOCATION, usable)).isEqualTo(usable);
    assertThat(p.afterMargin(CapacitySource.ELASTIC, usable)).isEqualTo(Resources.ZERO);
  }

  @Test
  void statusSaysValidFalseNamingFieldsAndKeepsTransitionTimeWhileUnchanged() {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setNearLineReserve(1.5);
    GleanerPolicy policy = GleanerPolicy.of(GleanerPolicy.DEFAULT_NAME, spec);
    policy.getMetadata().setGeneration(3L);
    Instant t0 = Instant.parse("2030-01-01T00:00:00Z");

    GleanerPolicyStatus first = policy.statusFor(t0);
    assertThat(first.getObservedGeneration()).isEqualTo(3L);
    assertThat(Conditions.find(first.getConditions(), Conditions.VALID))
        .get()
        .satisfies(
            c -> {
              assertThat(c.getStatus()).isEqualTo("False");
              assertThat(c.getReason()).isEqualTo("InvalidSpec");
              assertThat(c.getMessage())
                  .isEqualTo("spec.nearLineReserve: must be between 0 and 1, got 1.5");
              assertThat(c.getObservedGeneration()).isEqualTo(3L);
              assertThat(c.getLastTransitionTime()).isEqualTo("2030-01-01T00:00:00Z");
            });

    policy.setStatus(first);
    GleanerPolicyStatus again = policy.statusFor(t0.plusSeconds(60));
    assertThat(again.getConditions().get(0).getLastTransitionTime())
        .isEqualTo("2030-01-01T00:00:00Z");

    spec.setNearLineReserve(0.5);
    GleanerPolicyStatus fixed = policy.statusFor(t0.plusSeconds(120));
    assertThat(fixed.getConditions())
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.getStatus()).isEqualTo("True");
              assertThat(c.getLastTransitionTime()).isEqualTo("2030-01-01T00:02:00Z");
            });
  }

  @Test
  void yamlRoundTripKeepsEveryFieldAndUsesUpperCaseSourceKeys() {
    String yaml =
        """
        apiVersion: gleaner.io/v1alpha1
        kind: GleanerPolicy
        metadata:
          name: default
        spec:
          reserveMargins:
            IDLE: 0.2
            VOLCANO: 0.05
          nearLineReserve: 0.25
          idleThresholds:
            cpuRequestFraction: 0.3
          idleAfter: 15m
          reclaimCooldown: 1h
          eviction:
            evictionsPerSecondPerCluster: 2.5
            maxConcurrentPerCluster: 7
          memberUnreachableTimeout: 90s
          nodeHeadroom:
            cpu: 500m
            memory: 1Gi
          placement:
            pendingTimeout: 2m
          forecast:
            enabled: false
            dayWeight: 0.5
            leadTime: 1h
        """;
    GleanerPolicy policy = Serialization.unmarshal(yaml, GleanerPolicy.class);
    EffectivePolicy p = policy.effective();
    assertThat(p.reserveMargin(CapacitySource.IDLE)).isEqualTo(0.2);
    assertThat(p.reserveMargin(CapacitySource.VOLCANO)).isEqualTo(0.05);
    assertThat(p.idle().cpuRequestFraction()).isEqualTo(0.3);
    assertThat(p.idle().after()).isEqualTo(Duration.ofMinutes(15));
    assertThat(p.memberUnreachableTimeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(p.eviction()).isEqualTo(new EffectivePolicy.Eviction(2.5, 7));
    assertThat(p.nodeHeadroom()).isEqualTo(Resources.of("cpu", "500m", "memory", "1Gi"));
    assertThat(p.pendingTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(p.forecast())
        .isEqualTo(new EffectivePolicy.Forecast(false, 0.1, 0.5, 0.6, 0.15, Duration.ofHours(1)));

    String written = Serialization.asYaml(policy);
    assertThat(written).contains("IDLE: 0.2").doesNotContain("idle:").doesNotContain("status");
    GleanerPolicy back = Serialization.unmarshal(written, GleanerPolicy.class);
    assertThat(back.getSpec()).isEqualTo(policy.getSpec());
  }
}
