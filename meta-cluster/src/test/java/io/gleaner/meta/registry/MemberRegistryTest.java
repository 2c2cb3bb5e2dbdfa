package io.gleaner.meta.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.gleaner.meta.crd.MemberCluster;
import io.gleaner.meta.crd.MemberClusterSpec;
import io.gleaner.meta.crd.MemberClusterStatus;
import io.gleaner.meta.crd.MemberRole;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MemberRegistryTest {
  private static MemberCluster member(String resourceVersion, String lastContact) {
    MemberCluster mc = new MemberCluster();
    mc.setMetadata(
        new ObjectMetaBuilder()
            .withName("m1")
            .withGeneration(1L)
            .withResourceVersion(resourceVersion)
            .withLabels(Map.of("team", "a"))
            .build());
    MemberClusterSpec spec = new MemberClusterSpec();
    spec.setRoles(List.of(MemberRole.ONLINE));
    mc.setSpec(spec);
    MemberClusterStatus status = new MemberClusterStatus();
    status.setLastContactTime(lastContact);
    mc.setStatus(status);
    return mc;
  }

  @Test
  void aStatusWriteAloneIsNotReconciled() {
    assertThat(
            MemberRegistry.needsReconcile(
                member("1", "2030-01-01T00:00:00Z"), member("2", "2030-01-01T00:00:02Z")))
        .isFalse();
  }

  @Test
  void specMetadataAndDeletionAreReconciled() {
    MemberCluster before = member("1", null);

    MemberCluster spec = member("2", null);
    spec.getSpec().setRoles(List.of(MemberRole.TRAINING));
    MemberCluster labels = member("2", null);
    labels.getMetadata().setLabels(Map.of("team", "b"));
    MemberCluster deleted = member("2", null);
    deleted.getMetadata().setDeletionTimestamp("2030-01-01T00:00:00Z");
    MemberCluster finalizers = member("2", null);
    finalizers.getMetadata().setFinalizers(List.of("gleaner.io/member-pods"));

    for (MemberCluster after : List.of(spec, labels, deleted, finalizers)) {
      assertThat(MemberRegistry.needsReconcile(before, after)).isTrue();
    }
  }
}
