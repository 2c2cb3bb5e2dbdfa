package io.gleaner.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.gleaner.meta.crd.MemberCluster;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.apiserver.ResourceTypes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A federation of simulated clusters: start-up, registration in the metadata cluster, scale. */
class SimulatedFederationIT {
  @TempDir Path dir;

  @Test
  void twelveMembersStartQuicklyAndAreRegisteredInTheMetadataCluster() throws Exception {
    FakeClock clock = new FakeClock();
    SimulatedFederation.Builder b = SimulatedFederation.builder().clock(clock).kubeconfigDir(dir);
    for (int i = 1; i <= 6; i++) {
      b.member(
          MemberSpec.of("online-" + i, MemberRole.ONLINE, NodeShape.of(10, "16", "64Gi"))
              .withOnlineLoad(20));
    }
    for (int i = 1; i <= 3; i++) {
      b.member(
          MemberSpec.of(
              "train-" + i, MemberRole.TRAINING, NodeShape.of(8, "64", "512Gi").withGpus(8)));
    }
    for (int i = 1; i <= 3; i++) {
      b.member(MemberSpec.of("colo-" + i, MemberRole.COLOCATION, NodeShape.of(10, "32", "128Gi")));
    }
    long start = System.nanoTime();
    try (SimulatedFederation f = b.build()) {
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(millis).as("start-up of 13 clusters in ms").isLessThan(20_000);
      assertThat(f.members()).hasSize(12);
      assertThat(Files.readString(dir.resolve("meta.kubeconfig")))
          .contains("server: " + f.meta().url());
      assertThat(Files.readString(dir.resolve("train-2.kubeconfig")))
          .contains(f.member("train-2").url());

      KubernetesClient meta =
          new KubernetesClientBuilder()
              .withConfig(Config.fromKubeconfig(Files.readString(f.kubeconfigPath("meta"))))
              .build();
      try (meta) {
        List<MemberCluster> mcs = meta.resources(MemberCluster.class).list().getItems();
        assertThat(mcs).hasSize(12);
        MemberCluster train = meta.resources(MemberCluster.class).withName("train-1").get();
        assertThat(train.getSpec().getRoles()).containsExactly(MemberRole.TRAINING);
        assertThat(train.getSpec().validate()).isEmpty();
        Secret secret =
            meta.secrets()
                .inNamespace("gleaner-system")
                .withName(train.getSpec().getKubeconfigSecretRef().getName())
                .get();
        String kubeconfig =
            new String(
                Base64.getDecoder().decode(secret.getData().get("kubeconfig")),
                StandardCharsets.UTF_8);
        try (KubernetesClient member =
            new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfig)).build()) {
          assertThat(member.nodes().list().getItems())
              .hasSize(8)
              .allSatisfy(
                  n ->
                      assertThat(n.getStatus().getAllocatable())
                          .containsEntry("nvidia.com/gpu", new Quantity("8")));
        }
      }
      // Online members run their curve-driven service; co-location members publish batch resources.
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  f.member("online-1").store().list(ResourceTypes.PODS).size()
                      == f.onlineWorkload("online-1").desired());
      assertThat(f.onlineWorkload("online-1").desired()).isBetween(1, 20);
      assertThat(
              f.member("colo-1")
                  .client()
                  .nodes()
                  .list()
                  .getItems()
                  .get(0)
                  .getStatus()
                  .getAllocatable())
          .containsKey("kubernetes.io/batch-cpu");
      try (CuratorFramework zk =
          CuratorFrameworkFactory.newClient(f.zookeeperConnectString(), new RetryOneTime(100))) {
        zk.start();
        assertThat(zk.blockUntilConnected(10, TimeUnit.SECONDS)).isTrue();
        assertThat(f.zookeeperConnectString()).startsWith("127.0.0.1:");
      }
    }
  }

  /**
   * A second installation's metadata cluster: Gleaner's CRDs served, no member registered, its own
   * kubeconfig and address.
   */
  @Test
  void aFurtherMetadataClusterServesGleanersCrdsAndRegistersNoMember() throws Exception {
    FakeClock clock = new FakeClock();
    try (SimulatedFederation f =
        SimulatedFederation.builder()
            .clock(clock)
            .kubeconfigDir(dir)
            .zookeeper(false)
            .member(MemberSpec.of("online-1", MemberRole.ONLINE, NodeShape.of(1, "8", "32Gi")))
            .build()) {
      SimulatedCluster second = f.addMetadataCluster("meta-b");
      assertThat(Files.readString(f.kubeconfigPath("meta-b"))).contains(second.url());
      assertThat(second.url()).isNotEqualTo(f.meta().url());
      assertThat(second.client().resources(MemberCluster.class).list().getItems()).isEmpty();
      assertThat(f.meta().client().resources(MemberCluster.class).list().getItems()).hasSize(1);
      assertThat(f.members()).extracting(SimulatedCluster::name).containsExactly("online-1");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> f.addMetadataCluster("online-1"))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void hundredMembersOfHundredNodesScheduleTheirPods() {
    FakeClock clock = new FakeClock();
    SimulatedFederation.Builder b =
        SimulatedFederation.builder()
            .clock(clock)
            .kubeconfigDir(dir)
            .zookeeper(false)
            .registerMembers(false);
    for (int i = 0; i < 100; i++) {
      b.member(MemberSpec.of("m" + i, MemberRole.ONLINE, NodeShape.of(100, "16", "64Gi")));
    }
    try (SimulatedFederation f = b.build()) {
      List<String> names = new ArrayList<>();
      for (SimulatedCluster c : f.members()) {
        for (int p = 0; p < 20; p++) {
          Pod pod =
              new PodBuilder()
                  .withNewMetadata()
                  .withName("p" + p)
                  .withNamespace("default")
                  .endMetadata()
                  .withNewSpec()
                  .addNewContainer()
                  .withName("c")
                  .withImage("i")
                  .withNewResources()
                  .addToRequests("cpu", new Quantity("2"))
                  .endResources()
                  .endContainer()
                  .endSpec()
                  .build();
          c.store()
              .create(
                  ResourceTypes.PODS,
                  "default",
                  io.fabric8.kubernetes.client.utils.Serialization.jsonMapper().valueToTree(pod));
        }
        names.add(c.name());
      }
      await()
          .atMost(Duration.ofSeconds(40))
          .until(
              () ->
                  f.members().stream()
                      .allMatch(
                          c ->
                              c.store()
                                  .list(
                                      ResourceTypes.PODS,
                                      "default",
                                      p -> p.path("spec").path("nodeName").asText("").isEmpty())
                                  .items()
                                  .isEmpty()));
      assertThat(names).hasSize(100);
    }
  }
}
