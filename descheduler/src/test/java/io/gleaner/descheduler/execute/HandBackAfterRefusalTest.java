package io.gleaner.descheduler.execute;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.gleaner.descheduler.plan.NodeReclaim;
import io.gleaner.descheduler.plan.Plan;
import io.gleaner.descheduler.plan.Planner;
import io.gleaner.descheduler.plan.PlannerConfig;
import io.gleaner.descheduler.trigger.Snapshot;
import io.gleaner.meta.time.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A node where an eviction was refused (a PodDisruptionBudget's 429) is not handed back while the
 * refused Gleaner pod still runs there, even when a later plan frees the room with another victim.
 */
class HandBackAfterRefusalTest {
  private final java.util.concurrent.ScheduledExecutorService permits =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor();

  @org.junit.jupiter.api.AfterEach
  void stopPermits() {
    permits.shutdownNow();
  }

  static final Instant NOW = Instant.parse("2025-01-01T12:00:00Z");

  static Pod gleaner(String name, String cpu) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace("gl")
        .withName(name)
        .withUid("u-" + name)
        .addToLabels("gleaner.io/managed", "true")
        .addToLabels("gleaner.io/class", "offline")
        .addToLabels("gleaner.io/source", "idle")
        .addToLabels("gleaner.io/meta-uid", "m-" + name)
        .endMetadata()
        .withNewSpec()
        .withNodeName("n1")
        .withPriority(-10)
        .addNewContainer()
        .withName("c")
        .withNewResources()
        .addToRequests("cpu", new Quantity(cpu))
        .endResources()
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .withStartTime("2025-01-01T11:00:00Z")
        .endStatus()
        .build();
  }

  static Pod pendingOnline(String name, String cpu) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace("web")
        .withName(name)
        .withUid("u-" + name)
        .endMetadata()
        .withNewSpec()
        .withPriority(100)
        .addNewContainer()
        .withName("c")
        .withNewResources()
        .addToRequests("cpu", new Quantity(cpu))
        .endResources()
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase("Pending")
        .addNewCondition()
        .withType("PodScheduled")
        .withStatus("False")
        .withReason("Unschedulable")
        .endCondition()
        .endStatus()
        .build();
  }

  static Node lentNode() {
    return new NodeBuilder()
        .withNewMetadata()
        .withName("n1")
        .addToLabels("gleaner.io/pool", "idle")
        .endMetadata()
        .withNewStatus()
        .addToAllocatable("cpu", new Quantity("8"))
        .addToAllocatable("memory", new Quantity("32Gi"))
        .addToAllocatable("pods", new Quantity("110"))
        .endStatus()
        .build();
  }

  private Plan plan(Set<String> blocked) {
    return new Planner(PlannerConfig.DEFAULT)
        .plan(
            Snapshot.build(
                new Snapshot.Inputs(
                    "c1",
                    false,
                    0,
                    List.of(lentNode()),
                    List.of(gleaner("b", "4"), gleaner("c", "4"), pendingOnline("web1", "4")),
                    Map.of(),
                    Map.of(),
                    Set.of(),
                    blocked,
                    NOW,
                    "gleaner")));
  }

  private List<String> execute(Plan plan) {
    ReclaimerTest.FakeActions actions = new ReclaimerTest.FakeActions();
    new Reclaimer(
            "c1",
            actions,
            new ReclaimerTest.FakeBroker(),
            new EvictionLimiter(100.0, 1000, Duration.ZERO),
            new FakeClock(NOW),
            new Reclaimer.Settings(false, Duration.ofMinutes(10)),
            Runnable::run,
            Runnable::run,
            permits,
            () -> true,
            e -> {})
        .execute(plan, NOW);
    return actions.calls;
  }

  @Test
  void aNodeStillRunningAPodWhoseEvictionWasRefusedIsNotHandedBack() {
    // b's eviction was refused by its PDB in an earlier pass: the next plan evicts c instead
    Plan plan = plan(Set.of("u-b"));
    assertThat(plan.reclaims()).extracting(NodeReclaim::node).containsExactly("n1");
    assertThat(plan.reclaims().get(0).victims())
        .extracting(v -> v.pod().name())
        .containsExactly("c");
    List<String> calls = execute(plan);
    assertThat(calls).contains("evict gl/c grace=30");
    assertThat(calls).noneMatch(c -> c.startsWith("return "));
  }

  @Test
  void withoutARefusalTheNodeIsHandedBackAsBefore() {
    Plan plan = plan(Set.of());
    assertThat(execute(plan)).anyMatch(c -> c.startsWith("return n1"));
  }
}
