package io.gleaner.meta.crd;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The CRDs install into a (mock) API server and the custom resources round-trip through it. */
@EnableKubernetesMockClient(crud = true, https = false)
class CrdIT {
  static KubernetesClient client;

  @BeforeEach
  void installCrds() {
    Crds.install(client);
  }

  @Test
  void crdsAreInstalledAndInstallIsIdempotent() {
    Crds.install(client);
    assertThat(client.apiextensions().v1().customResourceDefinitions().list().getItems())
        .extracting(crd -> crd.getMetadata().getName())
        .contains(MemberCluster.CRD_NAME, GleanerPolicy.CRD_NAME);
    assertThat(
            client
                .apiextensions()
                .v1()
                .customResourceDefinitions()
                .withName(MemberCluster.CRD_NAME)
                .get()
                .getSpec()
                .getVersions())
        .singleElement()
        .satisfies(v -> assertThat(v.getName()).isEqualTo(MemberCluster.VERSION));
  }

  @Test
  void memberClusterCreateReadAndStatusUpdate() {
    MemberClusterSpec spec = new MemberClusterSpec();
    spec.setKubeconfigSecretRef(new KubeconfigSecretRef("gleaner", "west-kubeconfig", null));
    spec.setRoles(List.of(MemberRole.TRAINING, MemberRole.ELASTIC));
    spec.setZone("west-1b");
    client.resources(MemberCluster.class).resource(MemberCluster.of("west", spec)).create();

    MemberCluster read = client.resources(MemberCluster.class).withName("west").get();
    assertThat(read.getSpec()).isEqualTo(spec);
    assertThat(read.getMetadata().getNamespace()).isNull();

    MemberClusterStatus status = new MemberClusterStatus();
    Instant now = Instant.parse("2031-01-01T00:00:00Z");
    status.setConditions(
        List.of(Conditions.of(Conditions.READY, Conditions.TRUE, "Ready", "ok", 1L, now)));
    status.setOfferedCapacity(
        OfferedCapacity.of(
            Map.of(CapacitySource.VOLCANO, Resources.of("nvidia.com/gpu", "3")),
            Map.of(CapacitySource.VOLCANO, 2),
            now));
    read.setStatus(status);
    client.resources(MemberCluster.class).resource(read).updateStatus();

    MemberCluster again = client.resources(MemberCluster.class).withName("west").get();
    assertThat(again.getStatus()).isEqualTo(status);
    assertThat(again.getSpec()).isEqualTo(spec);
    assertThat(Conditions.isTrue(again.getStatus().getConditions(), Conditions.READY)).isTrue();
  }

  @Test
  void gleanerPolicyRoundTripsAndItsStatusNamesBadFields() {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setReserveMargins(new ReserveMargins(1.5, null, null, null));
    spec.setNodeHeadroom(Map.of("cpu", new Quantity("300m")));
    client
        .resources(GleanerPolicy.class)
        .resource(GleanerPolicy.of(GleanerPolicy.DEFAULT_NAME, spec))
        .create();

    GleanerPolicy read =
        client.resources(GleanerPolicy.class).withName(GleanerPolicy.DEFAULT_NAME).get();
    assertThat(read.getSpec()).isEqualTo(spec);
    read.setStatus(read.statusFor(Instant.parse("2031-01-01T00:00:00Z")));
    client.resources(GleanerPolicy.class).resource(read).updateStatus();

    GleanerPolicy withStatus =
        client.resources(GleanerPolicy.class).withName(GleanerPolicy.DEFAULT_NAME).get();
    assertThat(Conditions.find(withStatus.getStatus().getConditions(), Conditions.VALID))
        .get()
        .satisfies(
            c -> {
              assertThat(c.getStatus()).isEqualTo(Conditions.FALSE);
              assertThat(c.getMessage())
                  .isEqualTo("spec.reserveMargins.IDLE: must be between 0 and 1, got 1.5");
            });
  }
}
