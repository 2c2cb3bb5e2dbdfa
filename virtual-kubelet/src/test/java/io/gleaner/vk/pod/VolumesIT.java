package io.gleaner.vk.pod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.registry.MemberHandle;
import io.gleaner.meta.registry.MemberRegistry;
import io.gleaner.meta.registry.MemberRegistryConfig;
import io.gleaner.sim.MemberSpec;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimulatedFederation;
import io.gleaner.vk.testing.FakeBroker;
import io.gleaner.vk.translate.MemberNames;
import io.gleaner.vk.translate.MemberPodTranslator;
import io.gleaner.vk.translate.PodValidator;
import io.gleaner.vk.translate.TranslationConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Volumes that live and die with the pod move to a member, on a simulated member with its
 * scheduler, kubelet and ephemeral volume controller: an emptyDir and a generic ephemeral volume
 * run there (the member makes the claim, named after the member pod), and why the claim waits
 * reaches the metadata pod; a pod with a PersistentVolumeClaim fails with the reason and nothing is
 * created in the member.
 */
class VolumesIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String MEMBER_NS = "gleaner-team-a";

  private SimulatedFederation federation;
  private MemberRegistry registry;
  private FakeBroker broker;
  private ManagedChannel channel;
  private PodController controller;
  private KubernetesClient meta;
  private KubernetesClient member;

  @BeforeEach
  void setUp() throws Exception {
    federation =
        SimulatedFederation.builder()
            .zookeeper(false)
            .member(MemberSpec.of("m1", MemberRole.ONLINE, NodeShape.of(1, "8", "32Gi")))
            .build();
    meta = federation.meta().client();
    member = federation.member("m1").client();
    meta.namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName("team-a").endMetadata().build())
        .create();
    registry =
        new MemberRegistry(
            meta,
            MemberRegistryConfig.defaults(federation.namespace())
                .withProbe(Duration.ofMillis(200), Duration.ofSeconds(10))
                .withStatusWrites(false),
            Clock.systemUTC(),
            new SimpleMeterRegistry());
    registry.start();
    await()
        .atMost(WAIT)
        .until(() -> registry.member("m1").filter(MemberHandle::isHealthy).isPresent());
    broker =
        new FakeBroker(List.of(new FakeBroker.FakeNode("m1", "m1-node-0", SourceKind.IDLE, 4000)));
    channel = NettyChannelBuilder.forTarget(broker.target()).usePlaintext().build();
    controller =
        new PodController(
            meta,
            MemberClusters.of(registry),
            BrokerApiClient.on(channel, Duration.ofSeconds(5)),
            new MemberPodTranslator(TranslationConfig.defaults("it", "gleaner")),
            Clock.systemUTC(),
            d -> d.dividedBy(20),
            new VkMetrics(new SimpleMeterRegistry()),
            PodControllerConfig.defaults());
    controller.start();
  }

  @AfterEach
  void tearDown() {
    if (controller != null) {
      controller.close();
    }
    if (channel != null) {
      channel.shutdownNow();
    }
    if (broker != null) {
      broker.close();
    }
    if (registry != null) {
      registry.stop();
    }
    if (federation != null) {
      federation.close();
    }
  }

  @Test
  void emptyDirAndEphemeralVolumesRunInTheMemberWhileAClaimedVolumeFailsThePod() {
    Pod train =
        metaPod(
            "train-0",
            new VolumeBuilder()
                .withName("shm")
                .withNewEmptyDir()
                .withMedium("Memory")
                .withSizeLimit(new Quantity("256Mi"))
                .endEmptyDir()
                .build(),
            new VolumeBuilder()
                .withName("cache")
                .withNewEphemeral()
                .withNewVolumeClaimTemplate()
                .withNewMetadata()
                .addToLabels("app", "train")
                .endMetadata()
                .withNewSpec()
                .withAccessModes("ReadWriteOnce")
                .withStorageClassName("standard")
                .withNewResources()
                .addToRequests("storage", new Quantity("1Gi"))
                .endResources()
                .endSpec()
                .endVolumeClaimTemplate()
                .endEphemeral()
                .build());
    Pod db =
        metaPod(
            "db-0",
            new VolumeBuilder()
                .withName("data")
                .withNewPersistentVolumeClaim()
                .withClaimName("team-data")
                .endPersistentVolumeClaim()
                .build());

    await().atMost(WAIT).until(() -> "Running".equals(phase("train-0")));
    String memberPod = MemberNames.forUid(train.getMetadata().getUid());
    Pod running = member.pods().inNamespace(MEMBER_NS).withName(memberPod).get();
    assertThat(running.getSpec().getVolumes())
        .extracting(Volume::getName)
        .containsExactly("shm", "cache");
    // the member's ephemeral volume controller made the claim for the member pod, not for
    // "train-0": nothing depends on the metadata pod's name
    PersistentVolumeClaim claim =
        member.persistentVolumeClaims().inNamespace(MEMBER_NS).withName(memberPod + "-cache").get();
    assertThat(claim).isNotNull();
    assertThat(claim.getSpec().getStorageClassName()).isEqualTo("standard");
    assertThat(claim.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(o -> assertThat(o.getUid()).isEqualTo(running.getMetadata().getUid()));

    await().atMost(WAIT).until(() -> "Failed".equals(phase("db-0")));
    Pod failed = meta.pods().inNamespace("team-a").withName("db-0").get();
    assertThat(failed.getStatus().getReason()).isEqualTo(PodValidator.REASON_UNSUPPORTED_VOLUME);
    assertThat(failed.getStatus().getMessage())
        .startsWith("volume 'data' uses PersistentVolumeClaim 'team-data'");
    assertThat(
            member
                .pods()
                .inNamespace(MEMBER_NS)
                .withName(MemberNames.forUid(db.getMetadata().getUid()))
                .get())
        .isNull();

    // the member's volume controller says why the claim cannot be provisioned: the metadata pod
    // hears it
    member
        .v1()
        .events()
        .inNamespace(MEMBER_NS)
        .resource(
            new EventBuilder()
                .withNewMetadata()
                .withName(memberPod + "-cache.provisioning")
                .withNamespace(MEMBER_NS)
                .endMetadata()
                .withNewInvolvedObject()
                .withKind("PersistentVolumeClaim")
                .withApiVersion("v1")
                .withNamespace(MEMBER_NS)
                .withName(memberPod + "-cache")
                .withUid(claim.getMetadata().getUid())
                .endInvolvedObject()
                .withReason("ProvisioningFailed")
                .withType("Warning")
                .withMessage("storageclass.storage.k8s.io \"standard\" not found")
                .withCount(1)
                .withNewSource()
                .withComponent("persistentvolume-controller")
                .endSource()
                .build())
        .create();
    await()
        .atMost(WAIT)
        .until(
            () ->
                meta
                    .v1()
                    .events()
                    .inNamespace("team-a")
                    .withField("involvedObject.name", "train-0")
                    .list()
                    .getItems()
                    .stream()
                    .anyMatch(
                        e ->
                            "ProvisioningFailed".equals(e.getReason())
                                && e.getMessage()
                                    .equals(
                                        "[m1] volume claim "
                                            + memberPod
                                            + "-cache: storageclass.storage.k8s.io \"standard\""
                                            + " not found")));
  }

  private Pod metaPod(String name, Volume... volumes) {
    return meta.pods()
        .inNamespace("team-a")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace("team-a")
                .addToLabels(GleanerKeys.CLASS, "offline")
                .endMetadata()
                .withNewSpec()
                .withNodeName("gleaner")
                .addNewContainer()
                .withName("main")
                .withImage("busybox")
                .withNewResources()
                .addToRequests("cpu", new Quantity("100m"))
                .endResources()
                .endContainer()
                .withVolumes(volumes)
                .endSpec()
                .build())
        .create();
  }

  private String phase(String name) {
    Pod p = meta.pods().inNamespace("team-a").withName(name).get();
    return p == null || p.getStatus() == null ? null : p.getStatus().getPhase();
  }
}
