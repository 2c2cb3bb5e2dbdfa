package io.gleaner.meta.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.gleaner.meta.crd.Crds;
import io.gleaner.meta.crd.KubeconfigSecretRef;
import io.gleaner.meta.crd.MemberCluster;
import io.gleaner.meta.crd.MemberClusterSpec;
import io.gleaner.meta.crd.MemberRole;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A finalizer change that loses the race with another write of the MemberCluster (the
 * idle-detector's status at every probe, the broker's offered capacity) is read and tried again at
 * once: the conflict is normal, not a failure of the pass that makes it.
 */
class MemberFinalizersIT {
  private static final String FINALIZER = "gleaner.io/test";
  private static final String PATH = "/apis/gleaner.io/v1alpha1/memberclusters/m1";
  private MockCluster cluster;
  private KubernetesClient meta;

  @BeforeEach
  void setUp() {
    cluster = new MockCluster();
    meta = cluster.client();
    Crds.install(meta);
    MemberClusterSpec spec = new MemberClusterSpec();
    spec.setKubeconfigSecretRef(new KubeconfigSecretRef(null, "m1", null));
    spec.setRoles(List.of(MemberRole.ONLINE));
    meta.resources(MemberCluster.class).resource(MemberCluster.of("m1", spec)).create();
  }

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  private List<String> finalizers() {
    return meta.resources(MemberCluster.class).withName("m1").get().getMetadata().getFinalizers();
  }

  @Test
  void aConflictingWriteIsReadAndTriedAgain() {
    cluster.failNext("PATCH", PATH, 2, 409);
    assertThat(MemberFinalizers.ensure(meta, "m1", FINALIZER)).isTrue();
    assertThat(finalizers()).containsExactly(FINALIZER);

    cluster.failNext("PATCH", PATH, 2, 409);
    assertThat(MemberFinalizers.remove(meta, "m1", FINALIZER)).isTrue();
    assertThat(finalizers()).isNullOrEmpty();
  }

  @Test
  void conflictsWithoutEndAreReportedAfterAFewTries() {
    cluster.failNext("PATCH", PATH, 100, 409);
    assertThatThrownBy(() -> MemberFinalizers.ensure(meta, "m1", FINALIZER))
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(409));
    assertThat(cluster.requests("PATCH", PATH)).as("tries").isEqualTo(MemberFinalizers.TRIES);
  }
}
