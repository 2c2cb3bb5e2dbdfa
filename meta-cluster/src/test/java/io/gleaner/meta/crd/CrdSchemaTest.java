package io.gleaner.meta.crd;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.gleaner.meta.time.Durations;
import java.util.Arrays;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The schema the API server enforces agrees with the Java model: no defaults of its own (its
 * descriptions name those of {@link EffectivePolicy#DEFAULTS}), the same bounds and patterns as
 * {@code validate()}.
 */
class CrdSchemaTest {

  private static JSONSchemaProps spec(String crdName) {
    CustomResourceDefinition crd =
        Crds.definitions().stream()
            .filter(c -> c.getMetadata().getName().equals(crdName))
            .findFirst()
            .orElseThrow();
    return crd.getSpec()
        .getVersions()
        .get(0)
        .getSchema()
        .getOpenAPIV3Schema()
        .getProperties()
        .get("spec");
  }

  private static JSONSchemaProps at(JSONSchemaProps root, String... path) {
    JSONSchemaProps p = root;
    for (String step : path) {
      p = p.getProperties().get(step);
    }
    return p;
  }

  /** The default a field's description names: the text after "Unset: ". */
  private static String unset(JSONSchemaProps p) {
    Matcher m = UNSET.matcher(p.getDescription());
    assertThat(m.find()).as("description names the default: " + p.getDescription()).isTrue();
    return m.group(1);
  }

  private static final Pattern UNSET = Pattern.compile("Unset: (.+)\\.$");

  private static double number(JSONSchemaProps p) {
    return Double.parseDouble(unset(p));
  }

  private static void assertNoDefaults(String path, JSONSchemaProps p) {
    assertThat(p.getDefault()).as(path + " declares no default: Java holds the one set").isNull();
    if (p.getProperties() != null) {
      p.getProperties().forEach((k, v) -> assertNoDefaults(path + "." + k, v));
    }
  }

  @Test
  void policySchemaDeclaresNoDefaultsAndNamesTheJavaOnes() {
    JSONSchemaProps spec = spec(GleanerPolicy.CRD_NAME);
    assertNoDefaults("spec", spec);
    EffectivePolicy d = EffectivePolicy.DEFAULTS;
    for (CapacitySource s : CapacitySource.values()) {
      JSONSchemaProps margin = at(spec, "reserveMargins", s.name());
      assertThat(number(margin)).as(s.name()).isEqualTo(d.reserveMargin(s));
      assertThat(margin.getMinimum()).isZero();
      assertThat(margin.getMaximum()).isEqualTo(1.0);
    }
    assertThat(number(at(spec, "nearLineReserve"))).isEqualTo(d.nearLineReserve());
    assertThat(number(at(spec, "idleThresholds", "cpuRequestFraction")))
        .isEqualTo(d.idle().cpuRequestFraction());
    assertThat(number(at(spec, "idleThresholds", "memoryRequestFraction")))
        .isEqualTo(d.idle().memoryRequestFraction());
    assertThat(number(at(spec, "idleThresholds", "cpuUsageFraction")))
        .isEqualTo(d.idle().cpuUsageFraction());
    assertThat(number(at(spec, "eviction", "evictionsPerSecondPerCluster")))
        .isEqualTo(d.eviction().perSecondPerCluster());
    assertThat(number(at(spec, "eviction", "maxConcurrentPerCluster")))
        .isEqualTo(d.eviction().maxConcurrentPerCluster());
    assertThat(Durations.parse(unset(at(spec, "idleAfter")))).isEqualTo(d.idle().after());
    assertThat(Durations.parse(unset(at(spec, "reclaimCooldown")))).isEqualTo(d.reclaimCooldown());
    assertThat(Durations.parse(unset(at(spec, "memberUnreachableTimeout"))))
        .isEqualTo(d.memberUnreachableTimeout());
    assertThat(Durations.parse(unset(at(spec, "placement", "pendingTimeout"))))
        .isEqualTo(d.pendingTimeout());
    assertThat(unset(at(spec, "nodeHeadroom")))
        .isEqualTo(
            "cpu "
                + d.nodeHeadroom().cpuMillis()
                + "m, memory "
                + d.nodeHeadroom().memoryBytes() / (1024 * 1024)
                + "Mi");
  }

  @Test
  void policySchemaEnforcesTheJavaBounds() {
    JSONSchemaProps spec = spec(GleanerPolicy.CRD_NAME);
    for (String duration :
        new String[] {"idleAfter", "reclaimCooldown", "memberUnreachableTimeout"}) {
      assertThat(at(spec, duration).getPattern()).isEqualTo(Validation.DURATION_PATTERN);
    }
    assertThat(at(spec, "placement", "pendingTimeout").getPattern())
        .isEqualTo(Validation.DURATION_PATTERN);
    JSONSchemaProps rate = at(spec, "eviction", "evictionsPerSecondPerCluster");
    assertThat(rate.getMinimum()).isZero();
    assertThat(rate.getExclusiveMinimum()).isTrue();
    assertThat(at(spec, "eviction", "maxConcurrentPerCluster").getMinimum()).isEqualTo(1.0);
    assertThat(
            at(spec, "nodeHeadroom")
                .getAdditionalProperties()
                .getSchema()
                .getXKubernetesIntOrString())
        .isTrue();
  }

  @Test
  void memberClusterSchemaMatchesTheModel() {
    JSONSchemaProps spec = spec(MemberCluster.CRD_NAME);
    assertThat(spec.getRequired()).containsExactlyInAnyOrder("kubeconfigSecretRef", "roles");
    JSONSchemaProps roles = at(spec, "roles");
    assertThat(roles.getMinItems()).isEqualTo(1L);
    assertThat(roles.getItems().getSchema().getEnum())
        .extracting(n -> n.asText())
        .containsExactlyInAnyOrderElementsOf(
            Arrays.stream(MemberRole.values()).map(MemberRole::wireName).toList());
    assertThat(at(spec, "enabled").getDefault().asBoolean()).isTrue();
    JSONSchemaProps ref = at(spec, "kubeconfigSecretRef");
    assertThat(ref.getRequired()).containsExactly("name");
    assertThat(at(ref, "key").getDefault().asText()).isEqualTo(KubeconfigSecretRef.DEFAULT_KEY);
    assertThat(at(ref, "name").getPattern()).isEqualTo(Validation.DNS_SUBDOMAIN);
    assertThat(at(ref, "namespace").getPattern()).isEqualTo(Validation.DNS_LABEL);
  }

  @Test
  void theSchemaPatternsAcceptWhatJavaAcceptsAndRejectWhatItRejects() {
    Map<String, Boolean> names =
        Map.of("east-1", true, "a.b-c", true, "East", false, "-x", false, "x_", false);
    names.forEach(
        (name, ok) -> assertThat(name.matches(Validation.DNS_SUBDOMAIN)).as(name).isEqualTo(ok));
  }
}
