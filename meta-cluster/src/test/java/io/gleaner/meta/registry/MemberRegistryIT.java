package io.gleaner.meta.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.crd.Conditions;
import io.gleaner.meta.crd.Crds;
import io.gleaner.meta.crd.KubeconfigSecretRef;
import io.gleaner.meta.crd.MemberCluster;
import io.gleaner.meta.crd.MemberClusterSpec;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.resources.Resources;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Metadata cluster and member clusters are separate fabric8 CRUD mock servers. */
class MemberRegistryIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String NS = "gleaner";

  private MockCluster metaCluster;
  private final List<MockCluster> members = new CopyOnWriteArrayList<>();
  private KubernetesClient meta;
  private SimpleMeterRegistry meters;
  private MemberRegistry registry;
  private final RecordingListener events = new RecordingListener();

  @BeforeEach
  void setUp() {
    metaCluster = new MockCluster();
    meta = metaCluster.client();
    Crds.install(meta);
    meters = new SimpleMeterRegistry();
    registry = new MemberRegistry(meta, config(), Clock.systemUTC(), meters);
    registry.addListener(events);
    registry.start();
  }

  private static MemberRegistryConfig config() {
    return MemberRegistryConfig.defaults(NS)
        .withProbe(Duration.ofMillis(200), Duration.ofSeconds(10))
        .withStatusRefresh(Duration.ofSeconds(1))
        .withResync(Duration.ofMillis(500))
        .withClient(
            MemberClientConfig.defaults()
                .withRetry(2, Duration.ofMillis(10))
                .withBreaker(4, 2, Duration.ofMinutes(5))
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(3)));
  }

  @AfterEach
  void tearDown() {
    registry.stop();
    members.forEach(MockCluster::close);
    metaCluster.close();
  }

  @Test
  void memberLifecycleFromSecretToDeletion() {
    MockCluster east = member();
    east.client()
        .nodes()
        .resource(new NodeBuilder().withNewMetadata().withName("east-node-1").endMetadata().build())
        .create();
    createSecret("east-kubeconfig", "kubeconfig", Kubeconfigs.write("east", east.url()));
    createMember("east", "east-kubeconfig", null, true);

    await().atMost(WAIT).until(() -> registry.member("east").isPresent());
    MemberHandle handle = registry.member("east").orElseThrow();
    assertThat(handle.roles()).containsExactly(MemberRole.ONLINE);
    assertThat(registry.members()).containsExactly(handle);
    assertThat(events.added).containsExactly("east");

    List<Node> nodes = handle.call("list-nodes", c -> c.nodes().list().getItems());
    assertThat(nodes).extracting(n -> n.getMetadata().getName()).containsExactly("east-node-1");

    SharedIndexInformer<Node> nodeInformer =
        handle
            .informers()
            .inform(
                c ->
                    c.nodes()
                        .inform(
                            new ResourceEventHandler<>() {
                              @Override
                              public void onAdd(Node obj) {}

                              @Override
                              public void onUpdate(Node oldObj, Node newObj) {}

                              @Override
                              public void onDelete(Node obj, boolean deletedFinalStateUnknown) {}
                            },
                            0));
    await().atMost(WAIT).until(nodeInformer::hasSynced);
    assertThat(nodeInformer.getStore().listKeys()).containsExactly("east-node-1");

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              MemberCluster mc = meta.resources(MemberCluster.class).withName("east").get();
              assertThat(condition(mc, Conditions.REACHABLE))
                  .get()
                  .satisfies(
                      c -> {
                        assertThat(c.getStatus()).isEqualTo("True");
                        assertThat(c.getReason()).isEqualTo("Connected");
                      });
              assertThat(condition(mc, Conditions.READY))
                  .get()
                  .extracting(Condition::getStatus)
                  .isEqualTo("True");
              assertThat(mc.getStatus().getLastContactTime()).isNotBlank();
              assertThat(mc.getSpec().getRoles()).containsExactly(MemberRole.ONLINE);
            });
    await().atMost(WAIT).until(() -> events.health.contains("east=true"));
    assertThat(handle.isHealthy()).isTrue();
    assertThat(
            meters.get(MemberClient.CALLS_METER).tags("cluster", "east", "outcome", "ok").timers())
        .isNotEmpty();
    assertThat(meters.find("resilience4j.circuitbreaker.state").tag("name", "member-east").gauges())
        .isNotEmpty();

    registry.reportOfferedCapacity(
        "east",
        Map.of(CapacitySource.IDLE, Resources.of("cpu", "4", "memory", "8Gi")),
        Map.of(CapacitySource.IDLE, 1));
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              MemberCluster mc = meta.resources(MemberCluster.class).withName("east").get();
              assertThat(mc.getStatus().getOfferedCapacity().getTotal().toResources())
                  .isEqualTo(Resources.of("cpu", "4", "memory", "8Gi"));
              assertThat(mc.getStatus().getOfferedCapacity().getSources()).containsOnlyKeys("IDLE");
              assertThat(condition(mc, Conditions.REACHABLE))
                  .get()
                  .extracting(Condition::getStatus)
                  .isEqualTo("True");
            });

    east.stop();

    await()
        .atMost(WAIT)
        .until(() -> handle.client().circuitBreaker().getState() == CircuitBreaker.State.OPEN);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              MemberCluster mc = meta.resources(MemberCluster.class).withName("east").get();
              assertThat(condition(mc, Conditions.REACHABLE))
                  .get()
                  .satisfies(
                      c -> {
                        assertThat(c.getStatus()).isEqualTo("False");
                        assertThat(c.getReason()).isEqualTo("CircuitOpen");
                        assertThat(c.getMessage()).contains("member-east");
                      });
              assertThat(condition(mc, Conditions.READY))
                  .get()
                  .extracting(Condition::getStatus)
                  .isEqualTo("False");
              assertThat(mc.getStatus().getOfferedCapacity())
                  .as("another writer's field survives")
                  .isNotNull();
            });
    await().atMost(WAIT).until(() -> events.health.contains("east=false"));
    assertThat(handle.isHealthy()).isFalse();
    assertThatThrownBy(() -> handle.call("list-pods", c -> c.pods().list()))
        .isInstanceOfSatisfying(
            MemberUnavailableException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(MemberUnavailableException.Reason.CIRCUIT_OPEN);
              assertThat(e).hasMessageContaining("east").hasMessageContaining("list-pods");
            });
    assertThat(registry.member("east")).contains(handle);

    meta.resources(MemberCluster.class).withName("east").delete();

    await().atMost(WAIT).until(() -> registry.member("east").isEmpty());
    await().atMost(WAIT).until(() -> events.removed.contains("east"));
    assertThat(events.removedWhy).containsExactly("east=DELETED");
    assertThat(handle.isClosed()).isTrue();
    assertThat(handle.informers().isClosed()).isTrue();
    assertThat(nodeInformer.isRunning()).isFalse();
    assertThat(handle.client().isClosed()).isTrue();
    assertThat(meters.find("resilience4j.circuitbreaker.state").tag("name", "member-east").gauges())
        .isEmpty();
  }

  /**
   * Under load an API server may fail the first list (timeout, 500): the registry must keep trying,
   * not stop watching MemberClusters for good and run with no members.
   */
  @Test
  void aFailedFirstListOfMemberClustersIsRetried() {
    registry.stop();
    MockCluster east = member();
    createSecret("east-kubeconfig", "kubeconfig", Kubeconfigs.write("east", east.url()));
    createMember("east", "east-kubeconfig", null, true);
    metaCluster.failNext("/apis/gleaner.io/v1alpha1/memberclusters", 2);

    // no retries inside the client: the list fails as one that ran out of them
    try (KubernetesClient noRetries =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder(meta.getConfiguration()).withRequestRetryBackoffLimit(0).build())
            .build()) {
      registry =
          new MemberRegistry(noRetries, config(), Clock.systemUTC(), new SimpleMeterRegistry());
      registry.start();

      await().atMost(WAIT).until(() -> registry.member("east").isPresent());
      registry.stop();
    }
  }

  @Test
  void badSecretsGiveConditionsNamingTheSecretAndBreakNothingElse() {
    MockCluster good = member();
    createSecret("good", "kubeconfig", Kubeconfigs.write("good", good.url()));
    createMember("good", "good", null, true);
    createMember("missing", "no-such-secret", null, true);
    createSecret("wrong-key", "config", Kubeconfigs.write("x", good.url()));
    createMember("wrongkey", "wrong-key", null, true);
    createSecret("garbage", "kubeconfig", "this is: [not a kubeconfig");
    createMember("garbage", "garbage", null, true);

    await().atMost(WAIT).until(() -> registry.member("good").isPresent());
    assertReachable(
        "missing", "False", "SecretNotFound", "Secret gleaner/no-such-secret not found");
    assertReachable(
        "wrongkey",
        "False",
        "SecretKeyMissing",
        "Secret gleaner/wrong-key has no key \"kubeconfig\" (keys: [config])");
    assertReachable(
        "garbage",
        "False",
        "InvalidKubeconfig",
        "Secret gleaner/garbage key \"kubeconfig\" is not a kubeconfig");
    assertReachable("good", "True", "Connected", "");
    assertThat(registry.members()).extracting(MemberHandle::name).containsExactly("good");

    // Fixing the Secret is picked up by the periodic resync.
    createSecret("no-such-secret", "kubeconfig", Kubeconfigs.write("missing", good.url()));
    await().atMost(WAIT).until(() -> registry.member("missing").isPresent());
    assertReachable("missing", "True", "Connected", "");
  }

  @Test
  void disablingStopsTheMemberAndEnablingBringsItBack() {
    MockCluster west = member();
    createSecret("west", "kubeconfig", Kubeconfigs.write("west", west.url()));
    createMember("west", "west", null, true);
    await().atMost(WAIT).until(() -> registry.member("west").isPresent());
    MemberHandle first = registry.member("west").orElseThrow();

    editMember("west", spec -> spec.setEnabled(false));

    await().atMost(WAIT).until(() -> registry.member("west").isEmpty());
    assertThat(first.isClosed()).isTrue();
    assertThat(events.removed).contains("west");
    assertThat(events.removedWhy).containsExactly("west=DISABLED");
    assertReachable("west", "Unknown", "Disabled", "spec.enabled=false");

    editMember(
        "west",
        spec -> {
          spec.setEnabled(true);
          spec.setRoles(List.of(MemberRole.ONLINE, MemberRole.COLOCATION));
        });

    await().atMost(WAIT).until(() -> registry.member("west").isPresent());
    MemberHandle second = registry.member("west").orElseThrow();
    assertThat(second).isNotSameAs(first);
    assertThat(second.roles()).containsExactlyInAnyOrder(MemberRole.ONLINE, MemberRole.COLOCATION);
    assertReachable("west", "True", "Connected", "");

    // A spec-only change keeps the handle and is reported as an update.
    editMember("west", spec -> spec.setZone("west-1c"));
    await().atMost(WAIT).until(() -> events.updated.contains("west"));
    assertThat(registry.member("west")).containsSame(second);
    assertThat(second.zone()).isEqualTo("west-1c");
  }

  /**
   * Every member client shares one Vert.x and one task pool: adding members adds no Vert.x
   * instance, and threads grow by at most the busy work of each member (an informer batch; probes
   * hold no thread while they wait) plus the shared event loops, not by a client's own pools (about
   * nine threads each).
   */
  @Test
  void membersShareTheirClientsThreads() {
    MockCluster shared = member();
    int count = 20;
    for (int i = 0; i < count; i++) {
      String name = "m" + i;
      createSecret(name, "kubeconfig", Kubeconfigs.write(name, shared.url()));
    }
    connectAndInform("m0");
    int vertxBefore = threads("vertx-blocked-thread-checker");
    int threadsBefore = Thread.getAllStackTraces().size();

    for (int i = 1; i < count; i++) {
      connectAndInform("m" + i);
    }

    assertThat(threads("vertx-blocked-thread-checker"))
        .as("Vert.x instances once %d more members are connected and watched", count - 1)
        .isEqualTo(vertxBefore);
    int perCore = 2 * Runtime.getRuntime().availableProcessors();
    assertThat(Thread.getAllStackTraces().size() - threadsBefore)
        .as("threads added by %d members (before sharing: about 9 each)", count - 1)
        .isLessThanOrEqualTo(2 * (count - 1) + perCore);
    assertThat(
            registry.members().stream()
                .map(m -> m.call("serialization", KubernetesClient::getKubernetesSerialization))
                .distinct()
                .count())
        .as("JSON serializations (and their Jackson caches) of %d member clients", count)
        .isEqualTo(1);
  }

  private void connectAndInform(String name) {
    createMember(name, name, null, true);
    await().atMost(WAIT).until(() -> registry.member(name).isPresent());
    MemberHandle handle = registry.member(name).orElseThrow();
    handle.call("list-nodes", c -> c.nodes().list());
    SharedIndexInformer<Node> nodes =
        handle
            .informers()
            .inform(
                c ->
                    c.nodes()
                        .inform(
                            new ResourceEventHandler<>() {
                              @Override
                              public void onAdd(Node obj) {}

                              @Override
                              public void onUpdate(Node oldObj, Node newObj) {}

                              @Override
                              public void onDelete(Node obj, boolean deletedFinalStateUnknown) {}
                            },
                            0));
    await().atMost(WAIT).until(nodes::hasSynced);
  }

  private static int threads(String namePrefix) {
    return (int)
        Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().startsWith(namePrefix))
            .count();
  }

  @Test
  void startTwiceFailsFastAndLateListenersSeeExistingMembers() {
    assertThatThrownBy(registry::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("started");

    MockCluster north = member();
    createSecret("north", "kubeconfig", Kubeconfigs.write("north", north.url()));
    createMember("north", "north", null, true);
    await().atMost(WAIT).until(() -> registry.member("north").isPresent());

    RecordingListener late = new RecordingListener();
    registry.addListener(late);
    await().atMost(WAIT).until(() -> late.added.contains("north"));

    registry.stop();
    assertThat(registry.members()).isEmpty();
    assertThat(late.removed).contains("north");
    assertThatThrownBy(registry::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("stopped");
  }

  @Test
  void aRotatedSecretReconnectsTheMemberAtOnceWithoutWaitingForTheResync() {
    // The fixture's status writes would update the MemberCluster, which reconciles it too.
    registry.stop();
    MockCluster before = member();
    MockCluster after = member();
    after
        .client()
        .nodes()
        .resource(new NodeBuilder().withNewMetadata().withName("after-node").endMetadata().build())
        .create();
    createSecret("rotating", "kubeconfig", Kubeconfigs.write("rotating", before.url()));
    createMember("rotating", "rotating", null, true);
    RecordingListener heard = new RecordingListener();
    MemberRegistry slow = slowRegistry(heard, false);
    try {
      await().atMost(WAIT).until(() -> slow.member("rotating").isPresent());
      MemberHandle first = slow.member("rotating").orElseThrow();

      replaceSecret("rotating", "kubeconfig", Kubeconfigs.write("rotating", after.url()));

      await().atMost(WAIT).until(() -> slow.member("rotating").filter(h -> h != first).isPresent());
      MemberHandle second = slow.member("rotating").orElseThrow();
      assertThat(first.isClosed()).isTrue();
      assertThat(heard.removed).containsExactly("rotating");
      assertThat(heard.removedWhy).containsExactly("rotating=CONNECTION");
      assertThat(heard.added).containsExactly("rotating", "rotating");
      List<Node> nodes = second.call("list-nodes", c -> c.nodes().list().getItems());
      assertThat(nodes).extracting(n -> n.getMetadata().getName()).containsExactly("after-node");
    } finally {
      slow.stop();
    }
  }

  @Test
  void onlyARegistryThatWritesStatusWritesIt() {
    MockCluster quiet = member();
    createSecret("quiet", "kubeconfig", Kubeconfigs.write("quiet", quiet.url()));
    createMember("quiet", "quiet", null, true);
    SimpleMeterRegistry own = new SimpleMeterRegistry();
    MemberRegistry reader =
        new MemberRegistry(
            meta,
            MemberRegistryConfig.defaults(NS)
                .withProbe(Duration.ofMillis(200), Duration.ofSeconds(10))
                .withStatusRefresh(Duration.ofMillis(200))
                .withStatusWrites(false),
            Clock.systemUTC(),
            own);
    RecordingListener heard = new RecordingListener();
    reader.addListener(heard);
    reader.start();
    try {
      await().atMost(WAIT).until(() -> heard.health.contains("quiet=true"));
      // a writing registry writes the Reachable condition when it connects, before the first probe
      // answers: by now it would have
      assertThat(own.find(MemberRegistry.STATUS_WRITES_METER).counters()).isEmpty();
    } finally {
      reader.stop();
    }
  }

  @Test
  void aStandbysRefusedStatusWritesAreCountedAsLeftToTheLeaderNotAsErrors() {
    MockCluster watched = member();
    createSecret("watched", "kubeconfig", Kubeconfigs.write("watched", watched.url()));
    createMember("watched", "watched", null, true);
    SimpleMeterRegistry own = new SimpleMeterRegistry();
    KubernetesClient fenced =
        new KubernetesClientBuilder()
            .withConfig(meta.getConfiguration())
            .withHttpClientBuilderConsumer(
                b ->
                    b.addOrReplaceInterceptor(
                        io.gleaner.meta.kube.LeaderFencing.NAME,
                        new io.gleaner.meta.kube.LeaderFencing(() -> false, own)))
            .build();
    MemberRegistry standby =
        new MemberRegistry(
            fenced,
            MemberRegistryConfig.defaults(NS)
                .withProbe(Duration.ofMillis(200), Duration.ofSeconds(10))
                .withStatusRefresh(Duration.ofMillis(200)),
            Clock.systemUTC(),
            own);
    RecordingListener heard = new RecordingListener();
    standby.addListener(heard);
    standby.start();
    try {
      await().atMost(WAIT).until(() -> heard.health.contains("watched=true"));
      await().atMost(WAIT).until(() -> statusWrites(own, "not_leader") >= 1);
      assertThat(statusWrites(own, "error")).as("refusals counted as errors").isZero();
    } finally {
      standby.stop();
      fenced.close();
    }
  }

  @Test
  void aStatusWriteThatHangsHoldsNoProbeBack() {
    // Only this test's registry probes the member: the class's one would probe it too.
    registry.stop();
    MockCluster probed = member();
    createSecret("probed", "kubeconfig", Kubeconfigs.write("probed", probed.url()));
    createMember("probed", "probed", null, true);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicInteger held =
        new java.util.concurrent.atomic.AtomicInteger();
    KubernetesClient slowMeta =
        new KubernetesClientBuilder()
            .withConfig(meta.getConfiguration())
            .withHttpClientBuilderConsumer(
                b ->
                    b.addOrReplaceInterceptor(
                        "hanging-status-writes",
                        new io.fabric8.kubernetes.client.http.Interceptor() {
                          @Override
                          public void before(
                              io.fabric8.kubernetes.client.http.BasicBuilder builder,
                              io.fabric8.kubernetes.client.http.HttpRequest request,
                              RequestTags tags) {
                            if ("PATCH".equals(request.method())
                                && request.uri().getPath().endsWith("/status")) {
                              held.incrementAndGet();
                              try {
                                release.await();
                              } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                              }
                            }
                          }
                        }))
            .build();
    MemberRegistry slow =
        new MemberRegistry(slowMeta, config(), Clock.systemUTC(), new SimpleMeterRegistry());
    slow.start();
    try {
      // the Reachable condition written when the member connects hangs in the metadata API
      await().atMost(WAIT).until(() -> held.get() >= 1);
      int before = probed.requests("/version");
      await()
          .atMost(WAIT)
          .alias("probes sent while a status write hangs")
          .until(() -> probed.requests("/version") >= before + 3);
      assertThat(held).as("one write at a time, the others wait coalesced").hasValue(1);
    } finally {
      release.countDown();
      slow.stop();
      slowMeta.close();
    }
  }

  private static double statusWrites(SimpleMeterRegistry meters, String outcome) {
    var c = meters.find(MemberRegistry.STATUS_WRITES_METER).tag("outcome", outcome).counter();
    return c == null ? 0 : c.count();
  }

  // ---- helpers ---------------------------------------------------------------------------------

  /** A registry that re-reads Secrets only once an hour: what it sees sooner, it was told. */
  private MemberRegistry slowRegistry(MemberListener listener, boolean writeStatus) {
    MemberRegistry r =
        new MemberRegistry(
            meta,
            MemberRegistryConfig.defaults(NS)
                .withProbe(Duration.ofMillis(200), Duration.ofSeconds(10))
                .withResync(Duration.ofHours(1))
                .withStatusWrites(writeStatus),
            Clock.systemUTC(),
            new SimpleMeterRegistry());
    r.addListener(listener);
    r.start();
    return r;
  }

  private void replaceSecret(String name, String key, String kubeconfig) {
    meta.secrets()
        .inNamespace(NS)
        .withName(name)
        .edit(
            s -> {
              s.setData(
                  Map.of(
                      key,
                      Base64.getEncoder()
                          .encodeToString(kubeconfig.getBytes(StandardCharsets.UTF_8))));
              return s;
            });
  }

  private MockCluster member() {
    MockCluster m = new MockCluster();
    members.add(m);
    return m;
  }

  private void createSecret(String name, String key, String kubeconfig) {
    meta.secrets()
        .inNamespace(NS)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NS)
                .endMetadata()
                .withData(
                    Map.of(
                        key,
                        Base64.getEncoder()
                            .encodeToString(kubeconfig.getBytes(StandardCharsets.UTF_8))))
                .build())
        .create();
  }

  private void createMember(String name, String secret, String secretNamespace, boolean enabled) {
    MemberClusterSpec spec = new MemberClusterSpec();
    spec.setKubeconfigSecretRef(new KubeconfigSecretRef(secretNamespace, secret, null));
    spec.setRoles(List.of(MemberRole.ONLINE));
    spec.setEnabled(enabled);
    meta.resources(MemberCluster.class).resource(MemberCluster.of(name, spec)).create();
  }

  /**
   * Edits the spec, retrying when a concurrent status write of the registry wins the race (409).
   */
  private void editMember(String name, java.util.function.Consumer<MemberClusterSpec> change) {
    Conflicts.retry(
        () ->
            meta.resources(MemberCluster.class)
                .withName(name)
                .edit(
                    mc -> {
                      change.accept(mc.getSpec());
                      return mc;
                    }));
  }

  private void assertReachable(String member, String status, String reason, String messagePart) {
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              MemberCluster mc = meta.resources(MemberCluster.class).withName(member).get();
              assertThat(condition(mc, Conditions.REACHABLE))
                  .get()
                  .satisfies(
                      c -> {
                        assertThat(c.getStatus()).isEqualTo(status);
                        assertThat(c.getReason()).isEqualTo(reason);
                        assertThat(c.getMessage()).contains(messagePart);
                      });
            });
  }

  private static Optional<Condition> condition(MemberCluster mc, String type) {
    return mc == null || mc.getStatus() == null
        ? Optional.empty()
        : Conditions.find(mc.getStatus().getConditions(), type);
  }

  private static final class RecordingListener implements MemberListener {
    final List<String> added = new CopyOnWriteArrayList<>();
    final List<String> updated = new CopyOnWriteArrayList<>();
    final List<String> removed = new CopyOnWriteArrayList<>();
    final List<String> health = new CopyOnWriteArrayList<>();

    @Override
    public void memberAdded(MemberHandle member) {
      added.add(member.name());
    }

    @Override
    public void memberUpdated(MemberHandle member) {
      updated.add(member.name());
    }

    /** {@code name=why} for every removal. */
    final List<String> removedWhy = new CopyOnWriteArrayList<>();

    @Override
    public void memberRemoved(MemberHandle member) {
      assertThat(member.isClosed()).isFalse();
      removed.add(member.name());
    }

    @Override
    public void memberRemoved(MemberHandle member, Removal why) {
      removedWhy.add(member.name() + "=" + why);
      MemberListener.super.memberRemoved(member, why);
    }

    @Override
    public void healthChanged(MemberHandle member, MemberHealth health) {
      this.health.add(member.name() + "=" + health.healthy());
    }
  }
}
