package io.gleaner.vk.pod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.meta.crd.GleanerPolicySpec;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.policy.InMemoryPolicySource;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedApiServer;
import io.gleaner.sim.apiserver.ServerExtensions;
import io.gleaner.vk.testing.FakeBroker;
import io.gleaner.vk.translate.MemberPodTranslator;
import io.gleaner.vk.translate.StatusMirror;
import io.gleaner.vk.translate.TranslationConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A member cluster whose API server stops answering (a real partition of the simulated API server:
 * every connection is closed), noticed by the controller's own periodic sweep, not by a health flag
 * set by the test. The metadata pod first gets the {@code gleaner.io/MemberReachable=False}
 * condition and keeps its phase; only after the policy's {@code unreachableTimeout} is it failed
 * for recreation and its reservation released. A member that answers again before the timeout
 * clears the condition and leaves the pod running.
 */
class PodControllerUnreachableIT {
  private static final Duration WAIT = Duration.ofSeconds(20);

  /** The controller's 5 s sweep runs every 250 ms here. */
  private static final int SPEEDUP = 20;

  private static SimRuntime runtime;
  private SimulatedApiServer metaServer;
  private SimulatedApiServer m1Server;
  private KubernetesClient meta;
  private KubernetesClient m1;
  private FakeBroker broker;
  private ManagedChannel channel;
  private PodController controller;

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
    metaServer = new SimulatedApiServer("meta", runtime, Clock.systemUTC(), ServerExtensions.NONE);
    m1Server = new SimulatedApiServer("m1", runtime, Clock.systemUTC(), ServerExtensions.NONE);
    meta = metaServer.newClient();
    m1 = m1Server.newClient();
    meta.namespaces()
        .resource(
            new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                .withNewMetadata()
                .withName("team-a")
                .endMetadata()
                .build())
        .create();
    broker = new FakeBroker(List.of(new FakeBroker.FakeNode("m1", "n1", SourceKind.IDLE, 4000)));
    channel = NettyChannelBuilder.forTarget(broker.target()).usePlaintext().build();
  }

  private void startController(Duration unreachableTimeout) {
    startController(() -> unreachableTimeout);
  }

  private void startController(java.util.function.Supplier<Duration> unreachableTimeout) {
    controller =
        new PodController(
            meta,
            MemberClusters.of(Map.of("m1", m1)),
            BrokerApiClient.on(channel, Duration.ofSeconds(5)),
            new MemberPodTranslator(TranslationConfig.defaults("it", "gleaner")),
            Clock.systemUTC(),
            d -> d.dividedBy(SPEEDUP),
            new VkMetrics(new SimpleMeterRegistry()),
            PodControllerConfig.defaults().withGc(Duration.ofSeconds(10), Duration.ZERO));
    controller.unreachableTimeout(unreachableTimeout);
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

  /**
   * A bound metadata pod, its member pod played Running by the test (the member has no kubelet
   * here).
   */
  private Pod running(String name) {
    Pod p =
        meta.pods()
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
                    .endSpec()
                    .build())
            .create();
    Pod member = await().atMost(WAIT).until(() -> memberPods(), l -> !l.isEmpty()).get(0);
    m1.pods()
        .inNamespace(member.getMetadata().getNamespace())
        .withName(member.getMetadata().getName())
        .subresource("status")
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"status\":{\"phase\":\"Running\","
                + "\"podIP\":\"10.9.0.7\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}");
    await().atMost(WAIT).until(() -> "Running".equals(metaPod(name).getStatus().getPhase()));
    return p;
  }

  private List<Pod> memberPods() {
    return m1.pods().inAnyNamespace().withLabel(GleanerKeys.MANAGED, "true").list().getItems();
  }

  private Pod metaPod(String name) {
    return meta.pods().inNamespace("team-a").withName(name).get();
  }

  private static PodCondition reachable(Pod p) {
    return StatusMirror.condition(p.getStatus(), GleanerKeys.CONDITION_MEMBER_REACHABLE);
  }

  @Test
  void conditionFirstThenFailedForRecreationOnlyAfterThePolicyTimeout() {
    Duration timeout = Duration.ofSeconds(3);
    startController(timeout);
    running("train-0");
    String uid = metaPod("train-0").getMetadata().getUid();

    long partitionedAt = System.nanoTime();
    m1Server.setReachable(false);
    await().atMost(WAIT).until(() -> reachable(metaPod("train-0")) != null);
    Pod marked = metaPod("train-0");
    assertThat(reachable(marked).getStatus()).isEqualTo("False");
    assertThat(reachable(marked).getReason()).isEqualTo(StatusMirror.REASON_MEMBER_UNREACHABLE);
    assertThat(reachable(marked).getMessage()).contains("m1");
    if (Duration.ofNanos(System.nanoTime() - partitionedAt).compareTo(timeout) < 0) {
      assertThat(marked.getStatus().getPhase())
          .as("not failed before the policy's timeout")
          .isEqualTo("Running");
    }
    assertThat(broker.releaseReasons).isEmpty();

    await().atMost(WAIT).until(() -> "Failed".equals(metaPod("train-0").getStatus().getPhase()));
    assertThat(Duration.ofNanos(System.nanoTime() - partitionedAt)).isGreaterThanOrEqualTo(timeout);
    Pod failed = metaPod("train-0");
    assertThat(failed.getStatus().getReason()).isEqualTo(StatusMirror.REASON_MEMBER_UNREACHABLE);
    assertThat(failed.getStatus().getMessage()).contains("m1").contains("PT3S");
    await().atMost(WAIT).until(() -> broker.releaseReasons.contains("member unreachable"));
    assertThat(broker.placements()).doesNotContainKey(uid);

    // once the member answers again, the stale member pod of the failed metadata pod is collected,
    // not revived
    m1Server.setReachable(true);
    await()
        .atMost(WAIT)
        .until(
            () ->
                memberPods().stream()
                    .allMatch(m -> m.getMetadata().getDeletionTimestamp() != null));
    assertThat(metaPod("train-0").getStatus().getPhase())
        .as("a failed pod stays failed")
        .isEqualTo("Failed");
  }

  @Test
  void aShorterPolicyTimeoutAppliesToAMemberAlreadyUnreachable() {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setMemberUnreachableTimeout("10m");
    InMemoryPolicySource policy = new InMemoryPolicySource(spec.effective());
    // as VirtualKubeletService wires it
    startController(() -> policy.current().memberUnreachableTimeout());
    running("batch-0");

    m1Server.setReachable(false);
    await().atMost(WAIT).until(() -> reachable(metaPod("batch-0")) != null);
    assertThat(metaPod("batch-0").getStatus().getPhase()).isEqualTo("Running");
    spec.setMemberUnreachableTimeout("2s");
    policy.set(spec.effective());

    await().atMost(WAIT).until(() -> "Failed".equals(metaPod("batch-0").getStatus().getPhase()));
    assertThat(metaPod("batch-0").getStatus().getMessage()).contains("PT2S");
  }

  @Test
  void aMemberThatAnswersAgainBeforeTheTimeoutClearsTheConditionAndKeepsThePod() {
    startController(Duration.ofMinutes(10));
    running("serve-0");

    m1Server.setReachable(false);
    await().atMost(WAIT).until(() -> reachable(metaPod("serve-0")) != null);
    m1Server.setReachable(true);

    await()
        .atMost(WAIT)
        .until(
            () -> {
              PodCondition c = reachable(metaPod("serve-0"));
              return c == null || "True".equals(c.getStatus());
            });
    Pod p = metaPod("serve-0");
    assertThat(p.getStatus().getPhase()).isEqualTo("Running");
    assertThat(p.getStatus().getPodIP()).isEqualTo("10.9.0.7");
    assertThat(memberPods())
        .hasSize(1)
        .allMatch(m -> m.getMetadata().getDeletionTimestamp() == null);
    assertThat(broker.releaseReasons).isEmpty();
  }
}
