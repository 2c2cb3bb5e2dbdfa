package io.gleaner.meta.crd;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MemberClusterTest {

  static MemberCluster valid() {
    MemberClusterSpec spec = new MemberClusterSpec();
    spec.setKubeconfigSecretRef(new KubeconfigSecretRef("gleaner", "east-1-kubeconfig", null));
    spec.setRoles(List.of(MemberRole.ONLINE, MemberRole.COLOCATION));
    spec.setRegion("eu-west-1");
    return MemberCluster.of("east-1", spec);
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        bad(
            "no roles",
            m -> m.getSpec().setRoles(List.of()),
            "spec.roles: must list at least one of online, training, colocation, elastic"),
        bad(
            "roles unset",
            m -> m.getSpec().setRoles(null),
            "spec.roles: must list at least one of online, training, colocation, elastic"),
        bad(
            "no secret ref",
            m -> m.getSpec().setKubeconfigSecretRef(null),
            "spec.kubeconfigSecretRef: is required"),
        bad(
            "secret without name",
            m -> m.getSpec().getKubeconfigSecretRef().setName(null),
            "spec.kubeconfigSecretRef.name: is required"),
        bad(
            "secret name upper case",
            m -> m.getSpec().getKubeconfigSecretRef().setName("Kube"),
            "spec.kubeconfigSecretRef.name: must be a DNS subdomain (lower-case letters, digits, '-', '.'), got \"Kube\""),
        bad(
            "bad namespace",
            m -> m.getSpec().getKubeconfigSecretRef().setNamespace("a.b"),
            "spec.kubeconfigSecretRef.namespace: must be a DNS label (lower-case letters, digits, '-'), got \"a.b\""),
        bad(
            "bad key",
            m -> m.getSpec().getKubeconfigSecretRef().setKey("a/b"),
            "spec.kubeconfigSecretRef.key: must be a Secret data key (letters, digits, '-', '_', '.'), got \"a/b\""),
        bad(
            "bad name",
            m -> m.getMetadata().setName("East_1"),
            "metadata.name: must be a DNS label (lower-case letters, digits, '-'), got \"East_1\""),
        bad("no spec", m -> m.setSpec(null), "spec: is required"));
  }

  private static Arguments bad(String name, Consumer<MemberCluster> mutation, String error) {
    return Arguments.of(name, mutation, error);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void eachBadFieldIsNamed(String name, Consumer<MemberCluster> mutation, String error) {
    MemberCluster mc = valid();
    mutation.accept(mc);
    assertThat(mc.validate()).extracting(FieldError::toString).containsExactly(error);
  }

  @Test
  void validMemberHasNoErrorsAndDefaults() {
    MemberCluster mc = valid();
    assertThat(mc.validate()).isEmpty();
    assertThat(mc.getSpec().effectiveEnabled()).isTrue();
    assertThat(mc.getSpec().getKubeconfigSecretRef().effectiveKey()).isEqualTo("kubeconfig");
    assertThat(mc.getSpec().getKubeconfigSecretRef().effectiveNamespace("other"))
        .isEqualTo("gleaner");
    assertThat(new KubeconfigSecretRef(null, "x", "k").effectiveNamespace("other"))
        .isEqualTo("other");
  }

  @Test
  void unknownRoleReadsAsNullAndIsReportedByIndex() {
    MemberCluster mc =
        Serialization.unmarshal(
            """
        apiVersion: gleaner.io/v1alpha1
        kind: MemberCluster
        metadata: {name: east-1}
        spec:
          kubeconfigSecretRef: {name: east-1}
          roles: [online, gpu]
        """,
            MemberCluster.class);
    assertThat(mc.validate())
        .extracting(FieldError::toString)
        .containsExactly("spec.roles[1]: must be one of online, training, colocation, elastic");
  }

  @Test
  void yamlRoundTripUsesLowerCaseRolesAndKeepsStatus() {
    MemberCluster mc = valid();
    mc.getSpec().setEnabled(false);
    MemberClusterStatus status = new MemberClusterStatus();
    Instant now = Instant.parse("2030-05-06T07:08:09.123Z");
    status.setConditions(
        List.of(Conditions.of(Conditions.REACHABLE, Conditions.TRUE, "Connected", "ok", 2L, now)));
    status.setLastContactTime(Conditions.timestamp(now));
    status.setOfferedCapacity(
        OfferedCapacity.of(
            Map.of(
                CapacitySource.IDLE,
                Resources.of("cpu", "8", "memory", "16Gi"),
                CapacitySource.COLOCATION,
                Resources.of("cpu", "2500m")),
            Map.of(CapacitySource.IDLE, 2, CapacitySource.COLOCATION, 5),
            now));
    mc.setStatus(status);

    String yaml = Serialization.asYaml(mc);
    assertThat(yaml)
        .contains("- \"online\"")
        .contains("- \"colocation\"")
        .contains("lastContactTime: \"2030-05-06T07:08:09Z\"");
    MemberCluster back = Serialization.unmarshal(yaml, MemberCluster.class);

    assertThat(back.getSpec()).isEqualTo(mc.getSpec());
    assertThat(back.getStatus()).isEqualTo(mc.getStatus());
    assertThat(back.getSpec().roleSet())
        .containsExactlyInAnyOrder(MemberRole.ONLINE, MemberRole.COLOCATION);
    OfferedCapacity offered = back.getStatus().getOfferedCapacity();
    assertThat(offered.getSources()).containsOnlyKeys("IDLE", "COLOCATION");
    assertThat(offered.getTotal().toResources())
        .isEqualTo(Resources.of("cpu", "10500m", "memory", "16Gi"));
    assertThat(offered.getTotal().getNodes()).isEqualTo(7);
  }
}
