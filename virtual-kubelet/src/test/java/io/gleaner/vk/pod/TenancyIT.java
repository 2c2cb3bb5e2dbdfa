package io.gleaner.vk.pod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.time.AcceleratedClock;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedApiServer;
import io.gleaner.sim.apiserver.ServerExtensions;
import io.gleaner.vk.testing.FakeBroker;
import io.gleaner.vk.translate.MemberPodTranslator;
import io.gleaner.vk.translate.NamespaceMapping;
import io.gleaner.vk.translate.PodReferences;
import io.gleaner.vk.translate.TranslationConfig;
import io.gleaner.vk.translate.VirtualNode;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tenant isolation of the pod controller against simulated API servers (metadata + one member): a
 * member's own objects are never overwritten or read by a Gleaner pod, tenants sharing one member
 * namespace do not collide, and copies go when no pod needs them.
 */
class TenancyIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static SimRuntime runtime;
  private SimulatedApiServer metaServer;
  private SimulatedApiServer m1Server;
  private KubernetesClient meta;
  private KubernetesClient m1;
  private FakeBroker broker;
  private ManagedChannel channel;
  private PodController controller;
  private int seq;

  @BeforeAll
  static void runtime() {
    runtime = SimRuntime.create();
  }

  @AfterAll
  static void closeRuntime() {
    runtime.close();
  }

  @BeforeEach
  void setUp() throws Exception {
    Clock clock = Clock.systemUTC();
    metaServer = new SimulatedApiServer("meta", runtime, clock, ServerExtensions.NONE);
    m1Server = new SimulatedApiServer("m1", runtime, clock, ServerExtensions.NONE);
    meta = metaServer.newClient();
    m1 = m1Server.newClient();
    for (String ns : List.of("team-a", "team-b")) {
      namespace(meta, ns);
    }
    broker = new FakeBroker(List.of(new FakeBroker.FakeNode("m1", "n1", SourceKind.IDLE, 8000)));
    channel = NettyChannelBuilder.forTarget(broker.target()).usePlaintext().build();
  }

  private void start(NamespaceMapping mapping) {
    start(
        mapping,
        Clock.systemUTC(),
        UnaryOperator.identity(),
        PodControllerConfig.defaults().withGc(Duration.ofHours(1), Duration.ZERO));
  }

  private void start(
      NamespaceMapping mapping,
      Clock clock,
      UnaryOperator<Duration> toReal,
      PodControllerConfig config) {
    controller =
        new PodController(
            meta,
            MemberClusters.of(Map.of("m1", m1)),
            BrokerApiClient.on(channel, Duration.ofSeconds(5)),
            new MemberPodTranslator(
                new TranslationConfig(
                    "it",
                    VirtualNode.named("gleaner"),
                    mapping,
                    TranslationConfig.defaultPoolTolerations())),
            clock,
            toReal,
            new VkMetrics(new SimpleMeterRegistry()),
            config);
    controller.start();
  }

  @AfterEach
  void tearDown() {
    if (controller != null) {
      controller.close();
    }
    channel.shutdownNow();
    broker.close();
    metaServer.close();
    m1Server.close();
  }

  private static void namespace(KubernetesClient c, String name) {
    c.namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
  }

  private static Secret secret(String ns, String name, String value) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(ns)
        .endMetadata()
        .addToData(
            "token", Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)))
        .build();
  }

  private static ConfigMap configMap(String ns, String name, String value) {
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(ns)
        .endMetadata()
        .addToData("value", value)
        .build();
  }

  /**
   * A bound pod reading Secret {@code secret} through envFrom and ConfigMap {@code cm} as a volume.
   */
  private Pod bound(String ns, String secret, boolean optionalSecret, String cm) {
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withName("p" + (++seq))
            .withNamespace(ns)
            .addToLabels(GleanerKeys.CLASS, "offline")
            .addToLabels("app", "web")
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
            .addNewToleration()
            .withKey("virtual-kubelet.io/provider")
            .withOperator("Exists")
            .endToleration()
            .endSpec();
    if (secret != null) {
      b.editSpec()
          .editFirstContainer()
          .addNewEnvFrom()
          .withNewSecretRef()
          .withName(secret)
          .withOptional(optionalSecret ? true : null)
          .endSecretRef()
          .endEnvFrom()
          .endContainer()
          .endSpec();
    }
    if (cm != null) {
      b.editSpec()
          .addNewVolume()
          .withName("conf")
          .withNewConfigMap()
          .withName(cm)
          .endConfigMap()
          .endVolume()
          .endSpec();
    }
    return meta.pods().inNamespace(ns).resource(b.build()).create();
  }

  private Pod metaPod(Pod p) {
    return meta.pods()
        .inNamespace(p.getMetadata().getNamespace())
        .withName(p.getMetadata().getName())
        .get();
  }

  private Optional<Pod> memberOf(Pod metaPod) {
    return m1
        .pods()
        .inAnyNamespace()
        .withLabel(GleanerKeys.META_UID, metaPod.getMetadata().getUid())
        .list()
        .getItems()
        .stream()
        .findFirst();
  }

  private Pod awaitMember(Pod p) {
    return await().atMost(WAIT).until(() -> memberOf(metaPod(p)), Optional::isPresent).get();
  }

  private Pod awaitFailed(Pod p, String reason) {
    return await()
        .atMost(WAIT)
        .until(
            () -> metaPod(p),
            m ->
                m.getStatus() != null
                    && "Failed".equals(m.getStatus().getPhase())
                    && reason.equals(m.getStatus().getReason()));
  }

  @Test
  void aMembersOwnSecretOfTheSameNameIsNeverOverwrittenAndThePodFails() {
    start(NamespaceMapping.identity());
    namespace(m1, "team-a");
    m1.secrets().inNamespace("team-a").resource(secret("team-a", "creds", "member's")).create();
    meta.secrets().inNamespace("team-a").resource(secret("team-a", "creds", "tenant's")).create();
    Pod p = bound("team-a", "creds", false, null);

    Pod failed = awaitFailed(p, ObjectSync.REASON_CONFLICT);
    assertThat(failed.getStatus().getMessage()).contains("team-a/creds").contains("m1");
    Secret own = m1.secrets().inNamespace("team-a").withName("creds").get();
    assertThat(new String(Base64.getDecoder().decode(own.getData().get("token"))))
        .isEqualTo("member's");
    assertThat(own.getMetadata().getLabels()).isNullOrEmpty();
    assertThat(memberOf(failed)).isEmpty();
    await().atMost(WAIT).until(() -> broker.placements().isEmpty());
  }

  /**
   * The copy of that name belongs to another installation sharing the member (its labels): it is
   * not overwritten either, and the pod's message names that installation, not the member.
   */
  @Test
  void anotherInstallationsCopyOfTheSameNameIsNeverOverwrittenAndTheMessageNamesIt() {
    start(NamespaceMapping.identity());
    namespace(m1, "team-a");
    Secret theirs = secret("team-a", "creds", "other installation's");
    theirs
        .getMetadata()
        .setLabels(
            Map.of(
                GleanerKeys.MANAGED,
                "true",
                GleanerKeys.INSTANCE,
                "other",
                GleanerKeys.COPY,
                "true"));
    m1.secrets().inNamespace("team-a").resource(theirs).create();
    meta.secrets().inNamespace("team-a").resource(secret("team-a", "creds", "tenant's")).create();
    Pod p = bound("team-a", "creds", false, null);

    Pod failed = awaitFailed(p, ObjectSync.REASON_CONFLICT);
    assertThat(failed.getStatus().getMessage())
        .contains("team-a/creds")
        .contains("Gleaner installation other")
        .doesNotContain("belongs to the member");
    Secret kept = m1.secrets().inNamespace("team-a").withName("creds").get();
    assertThat(new String(Base64.getDecoder().decode(kept.getData().get("token"))))
        .isEqualTo("other installation's");
    assertThat(kept.getMetadata().getLabels()).containsEntry(GleanerKeys.INSTANCE, "other");
  }

  @Test
  void aMissingReferencedSecretFailsThePodInsteadOfReadingTheMembersOwn() {
    start(NamespaceMapping.identity());
    namespace(m1, "team-a");
    m1.secrets().inNamespace("team-a").resource(secret("team-a", "creds", "member's")).create();
    Pod p = bound("team-a", "creds", false, null);

    Pod failed = awaitFailed(p, ObjectSync.REASON_MISSING);
    assertThat(failed.getStatus().getMessage())
        .contains("Secret team-a/creds does not exist in the metadata cluster");
    assertThat(memberOf(failed)).isEmpty();
  }

  @Test
  void aMissingOptionalSecretIsDroppedNotReadFromTheMember() {
    start(NamespaceMapping.identity());
    namespace(m1, "team-a");
    m1.secrets().inNamespace("team-a").resource(secret("team-a", "creds", "member's")).create();
    Pod p = bound("team-a", "creds", true, null);

    Pod member = awaitMember(p);
    assertThat(PodReferences.of(member.getSpec()).isEmpty()).isTrue();
  }

  @Test
  void singleMappingRunsSameNamedConfigMapsOfTwoNamespacesWithoutCollision() {
    start(NamespaceMapping.single("gleaner"));
    meta.configMaps().inNamespace("team-a").resource(configMap("team-a", "conf", "a")).create();
    meta.configMaps().inNamespace("team-b").resource(configMap("team-b", "conf", "b")).create();
    meta.secrets().inNamespace("team-a").resource(secret("team-a", "creds", "sa")).create();
    meta.secrets().inNamespace("team-b").resource(secret("team-b", "creds", "sb")).create();
    Pod a = bound("team-a", "creds", false, "conf");
    Pod b = bound("team-b", "creds", false, "conf");

    Pod ma = awaitMember(a);
    Pod mb = awaitMember(b);
    assertThat(ma.getMetadata().getNamespace()).isEqualTo("gleaner");
    assertThat(mb.getMetadata().getNamespace()).isEqualTo("gleaner");
    assertThat(PodReferences.of(ma.getSpec()))
        .isEqualTo(
            new PodReferences(java.util.Set.of("team-a.conf"), java.util.Set.of("team-a.creds")));
    assertThat(PodReferences.of(mb.getSpec()))
        .isEqualTo(
            new PodReferences(java.util.Set.of("team-b.conf"), java.util.Set.of("team-b.creds")));
    assertThat(m1.configMaps().inNamespace("gleaner").withName("team-a.conf").get().getData())
        .containsEntry("value", "a");
    assertThat(m1.configMaps().inNamespace("gleaner").withName("team-b.conf").get().getData())
        .containsEntry("value", "b");
  }

  @Test
  void memberPodsCarryNoTenantLabelsAndAreOwnedByGleaner() {
    start(NamespaceMapping.prefixed("gleaner-"));
    Pod p = bound("team-a", null, false, null);

    Pod member = awaitMember(p);
    assertThat(member.getMetadata().getNamespace()).isEqualTo("gleaner-team-a");
    assertThat(member.getMetadata().getLabels()).doesNotContainKey("app");
    assertThat(member.getMetadata().getAnnotations())
        .containsEntry(GleanerKeys.META_LABELS, "{\"app\":\"web\"}");
    assertThat(member.getMetadata().getOwnerReferences()).hasSize(1);
    var owner = member.getMetadata().getOwnerReferences().get(0);
    assertThat(owner.getController()).isTrue();
    ConfigMap ownerObject =
        m1.configMaps().inNamespace("gleaner-team-a").withName(owner.getName()).get();
    assertThat(ownerObject.getMetadata().getUid()).isEqualTo(owner.getUid());
    assertThat(ownerObject.getMetadata().getLabels())
        .containsEntry(GleanerKeys.OWNER, "true")
        .containsEntry(GleanerKeys.INSTANCE, "it");
    assertThat(m1.namespaces().withName("gleaner-team-a").get().getMetadata().getLabels())
        .containsEntry(GleanerKeys.MANAGED, "true");
  }

  @Test
  void aCopyIsDeletedAfterItsLastPodGoesAndTheMembersOwnObjectsStay() {
    start(NamespaceMapping.identity());
    namespace(m1, "team-a");
    m1.configMaps().inNamespace("team-a").resource(configMap("team-a", "own", "m")).create();
    meta.configMaps().inNamespace("team-a").resource(configMap("team-a", "conf", "a")).create();
    Pod p1 = bound("team-a", null, false, "conf");
    Pod p2 = bound("team-a", null, false, "conf");
    awaitMember(p1);
    awaitMember(p2);
    assertThat(m1.configMaps().inNamespace("team-a").withName("conf").get()).isNotNull();

    deleteAndAwaitGone(p1);
    await().atMost(WAIT).until(() -> controller.memberPods().get("m1").size() == 1);
    assertThat(controller.collectUnusedCopies()).isZero();
    assertThat(m1.configMaps().inNamespace("team-a").withName("conf").get()).isNotNull();

    deleteAndAwaitGone(p2);
    await().atMost(WAIT).until(() -> controller.memberPods().get("m1").isEmpty());
    assertThat(controller.collectUnusedCopies()).isEqualTo(1);
    assertThat(m1.configMaps().inNamespace("team-a").withName("conf").get()).isNull();
    assertThat(m1.configMaps().inNamespace("team-a").withName("own").get()).isNotNull();
    // the namespace's pod owner is not a copy
    assertThat(
            m1.configMaps()
                .inNamespace("team-a")
                .withLabel(GleanerKeys.OWNER, "true")
                .list()
                .getItems())
        .hasSize(1);
  }

  /**
   * The minimum age guards against API and cache latency (a copy made for a pod whose member pod is
   * not in the cache yet), which an accelerated clock does not speed up: on a clock 60 times real
   * time, a copy its pod needed a few real seconds ago, minutes of that clock, is kept.
   */
  @Test
  void onAnAcceleratedClockACopyNeededWithinTheMinimumAgeOfRealTimeIsKept() {
    AcceleratedClock clock = AcceleratedClock.startingNow(60);
    start(
        NamespaceMapping.identity(),
        clock,
        clock::toReal,
        PodControllerConfig.defaults().withGc(Duration.ofHours(1), Duration.ofSeconds(30)));
    meta.configMaps().inNamespace("team-a").resource(configMap("team-a", "conf", "a")).create();
    Pod p1 = bound("team-a", null, false, "conf");
    awaitMember(p1);
    Instant needed = clock.instant();
    deleteAndAwaitGone(p1);
    await().atMost(WAIT).until(() -> controller.memberPods().get("m1").isEmpty());
    // past the minimum age on the clock (30 s of it), well within it in real time
    await().atMost(WAIT).until(() -> clock.instant().isAfter(needed.plusSeconds(90)));

    assertThat(controller.collectUnusedCopies()).isZero();
    assertThat(m1.configMaps().inNamespace("team-a").withName("conf").get()).isNotNull();
  }

  @Test
  void aDeletedCopyIsMadeAgainForTheNextPod() {
    start(NamespaceMapping.identity());
    meta.configMaps().inNamespace("team-a").resource(configMap("team-a", "conf", "a")).create();
    Pod p1 = bound("team-a", null, false, "conf");
    awaitMember(p1);
    deleteAndAwaitGone(p1);
    await().atMost(WAIT).until(() -> controller.memberPods().get("m1").isEmpty());
    assertThat(controller.collectUnusedCopies()).isEqualTo(1);

    Pod p2 = bound("team-a", null, false, "conf");
    awaitMember(p2);
    assertThat(m1.configMaps().inNamespace("team-a").withName("conf").get()).isNotNull();
  }

  @Test
  void aDeletedPodOwnerIsMadeAgainAndTheNextPodNamesTheNewOne() {
    start(NamespaceMapping.prefixed("gleaner-"));
    Pod first = awaitMember(bound("team-a", null, false, null));
    var owner = first.getMetadata().getOwnerReferences().get(0);
    m1.configMaps().inNamespace("gleaner-team-a").withName(owner.getName()).delete();
    await()
        .atMost(WAIT)
        .until(
            () ->
                m1.configMaps().inNamespace("gleaner-team-a").withName(owner.getName()).get()
                    == null);
    controller.collectUnusedCopies();

    Pod second = awaitMember(bound("team-a", null, false, null));
    ConfigMap now = m1.configMaps().inNamespace("gleaner-team-a").withName(owner.getName()).get();
    assertThat(now).isNotNull();
    assertThat(second.getMetadata().getOwnerReferences().get(0).getUid())
        .isEqualTo(now.getMetadata().getUid())
        .isNotEqualTo(owner.getUid());
  }

  private void deleteAndAwaitGone(Pod p) {
    meta.pods()
        .inNamespace(p.getMetadata().getNamespace())
        .withName(p.getMetadata().getName())
        .delete();
    await().atMost(WAIT).until(() -> metaPod(p) == null);
  }
}
