package io.gleaner.sandbox.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.accounting.LendableCapacity;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The harvest accounting of the summary, read through a member's API. */
@EnableKubernetesMockClient(crud = true)
class SummaryCollectorIT {
  KubernetesClient client;

  /**
   * One 16-CPU online node. First half hour: a 4-CPU Gleaner pod runs and an online pod is
   * Unschedulable; lendable (16 − 0.2 headroom) × 0.9 = 14.22 cores, harvested 4 cores. A reclaim
   * evicts the Gleaner pod and the online pod runs (2 CPU): lendable (16 − 2 − 0.2) × 0.9 = 12.42
   * cores for the second half hour. Lendable 7.11 + 6.21 = 13.32, harvested 2, all of it wasted.
   */
  @Test
  void countsLendableHarvestedWastedAndTheOnlineDelayGleanerCaused() {
    FakeClock clock = new FakeClock(Instant.parse("2026-12-05T08:00:00Z"));
    client
        .nodes()
        .resource(
            new NodeBuilder()
                .withNewMetadata()
                .withName("a")
                .endMetadata()
                .withNewStatus()
                .withAllocatable(Map.of("cpu", new Quantity("16"), "memory", new Quantity("64Gi")))
                .endStatus()
                .build())
        .create();
    SummaryCollector collector =
        new SummaryCollector(
            client,
            () -> Map.of("online-1", client),
            clock,
            Map.of("online-1", Set.of(MemberRole.ONLINE)),
            LendableCapacity.Settings.DEFAULTS);
    Pod gleaner = client.resource(pod("gleaner", "g1", "a", "4", "Running", true, false)).create();
    client.resource(pod("web", "web-1", null, "2", "Pending", false, true)).create();

    clock.advance(Duration.ofMinutes(30));
    collector.sample();
    collector.recordReclaim("r1", "online-1", List.of("gleaner/g1"), 120);
    client.resource(gleaner).delete();
    client.resource(pod("web", "web-1", "a", "2", "Running", false, false)).update();
    clock.advance(Duration.ofMinutes(30));
    collector.sample();

    HarvestAccounting h = collector.summary().harvest();
    assertThat(h.lendableCoreHours()).containsEntry("IDLE", 13.32).containsEntry("TOTAL", 13.32);
    assertThat(h.harvestedCoreHours()).containsEntry("IDLE", 2.0).containsEntry("VOLCANO", 0.0);
    assertThat(h.harvestRatio()).containsOnlyKeys("IDLE", "TOTAL").containsEntry("TOTAL", 0.15);
    assertThat(h.wastedCoreHours()).isEqualTo(2.0);
    assertThat(h.reclaims()).isEqualTo(1);
    assertThat(h.reclaimsPer100HarvestedCoreHours()).isEqualTo(50.0);
    assertThat(h.onlinePodsDelayed()).isEqualTo(1);
    assertThat(h.onlineDelaySecondsP99()).isEqualTo(1800.0);
    assertThat(h.onlinePodsNeverRan()).isZero();
  }

  /** An online pod Unschedulable in a member without Gleaner pods is not Gleaner's doing. */
  @Test
  void onlineWaitWithoutGleanerPodsIsNotCounted() {
    FakeClock clock = new FakeClock(Instant.parse("2026-12-05T08:00:00Z"));
    SummaryCollector collector =
        new SummaryCollector(
            client,
            () -> Map.of("online-1", client),
            clock,
            Map.of("online-1", Set.of(MemberRole.ONLINE)),
            LendableCapacity.Settings.DEFAULTS);
    client.resource(pod("web", "web-1", null, "2", "Pending", false, true)).create();
    clock.advance(Duration.ofMinutes(1));
    collector.sample();
    client.resource(pod("gleaner", "g1", null, "4", "Pending", true, true)).create();
    clock.advance(Duration.ofMinutes(1));
    collector.sample();
    assertThat(collector.summary().harvest().onlinePodsNeverRan()).isZero();
    assertThat(collector.summary().onlinePodsDelayed()).isZero();
  }

  /**
   * Only online pods Gleaner kept from running count as never run. Node "a" (16 CPU) holds a 12-CPU
   * Gleaner pod; node "b" (16 CPU) is full of online work. Never run, counted: "held" (8 CPU),
   * which would fit on "a" without the Gleaner pod. Not counted: "huge" (20 CPU, fits no node even
   * empty), "pinned" (its node selector matches no node), "crowded" (8 CPU, selects "b", full of
   * online pods), and Gleaner's own scale-up placeholder (8 CPU), in the way of which the Gleaner
   * pod stands too but which is no online work.
   */
  @Test
  void neverRanCountsOnlyOnlinePodsGleanersPodsHeldBack() {
    FakeClock clock = new FakeClock(Instant.parse("2026-12-05T08:00:00Z"));
    client.nodes().resource(node("a", "16", Map.of("pool", "a"))).create();
    client.nodes().resource(node("b", "16", Map.of("pool", "b"))).create();
    SummaryCollector collector =
        new SummaryCollector(
            client,
            () -> Map.of("online-1", client),
            clock,
            Map.of("online-1", Set.of(MemberRole.ONLINE)),
            LendableCapacity.Settings.DEFAULTS);
    client.resource(pod("gleaner", "g1", "a", "12", "Running", true, false)).create();
    client.resource(pod("web", "batch-b", "b", "16", "Running", false, false)).create();
    client.resource(pod("web", "held", null, "8", "Pending", false, true)).create();
    client.resource(pod("web", "huge", null, "20", "Pending", false, true)).create();
    Pod pinned = pod("web", "pinned", null, "1", "Pending", false, true);
    pinned.getSpec().setNodeSelector(Map.of("pool", "gpu"));
    client.resource(pinned).create();
    Pod crowded = pod("web", "crowded", null, "8", "Pending", false, true);
    crowded.getSpec().setNodeSelector(Map.of("pool", "b"));
    client.resource(crowded).create();
    Pod placeholder = placeholder(null, "Pending", true);
    client.resource(placeholder).create();

    clock.advance(Duration.ofMinutes(1));
    collector.sample();
    client.resource(placeholder).delete();
    client.resource(pod("web", "held", null, "8", "Pending", false, true)).delete();
    clock.advance(Duration.ofMinutes(1));
    collector.sample();

    assertThat(collector.summary().harvest().onlinePodsNeverRan()).isEqualTo(1);
    assertThat(collector.summary().onlinePodsDelayed()).isZero();
  }

  /** A scale-up placeholder that runs once its node comes is no online pod delayed. */
  @Test
  void aScaleUpPlaceholderThatRunsIsNoOnlineDelay() {
    FakeClock clock = new FakeClock(Instant.parse("2026-12-05T08:00:00Z"));
    client.nodes().resource(node("a", "16", Map.of())).create();
    SummaryCollector collector =
        new SummaryCollector(
            client,
            () -> Map.of("elastic-1", client),
            clock,
            Map.of("elastic-1", Set.of(MemberRole.ONLINE)),
            LendableCapacity.Settings.DEFAULTS);
    client.resource(pod("gleaner", "g1", "a", "12", "Running", true, false)).create();
    Pod placeholder = placeholder(null, "Pending", true);
    client.resource(placeholder).create();
    clock.advance(Duration.ofMinutes(1));
    collector.sample();
    placeholder = placeholder("b", "Running", false);
    client.resource(placeholder).update();
    clock.advance(Duration.ofMinutes(1));
    collector.sample();

    assertThat(collector.summary().onlinePodsDelayed()).isZero();
    assertThat(collector.summary().harvest().onlinePodsNeverRan()).isZero();
  }

  /** The idle-detector's 8-CPU scale-up placeholder in an elastic member. */
  private static Pod placeholder(String node, String phase, boolean unschedulable) {
    Pod p = pod("gleaner-scale-up", "scale-up-1", node, "8", phase, false, unschedulable);
    p.getMetadata().setLabels(Map.of("gleaner.io/scale-up", "true"));
    return p;
  }

  private static io.fabric8.kubernetes.api.model.Node node(
      String name, String cpu, Map<String, String> labels) {
    return new NodeBuilder()
        .withNewMetadata()
        .withName(name)
        .withLabels(labels)
        .endMetadata()
        .withNewStatus()
        .withAllocatable(
            Map.of(
                "cpu",
                new Quantity(cpu),
                "memory",
                new Quantity("64Gi"),
                "pods",
                new Quantity("110")))
        .endStatus()
        .build();
  }

  /**
   * Teams a and b (weights 1 and 1) each run a 4-CPU member pod throughout. A team is backlogged
   * while a pod of it waits that the virtual node has not taken (gated, bound to no node); b's
   * first pod is bound to the virtual node and waits for a member, which is not that. Samples at
   * 0.5 h (b not backlogged), 1 h (both: the span starts) and 1.5 h: backlogged 2 core-hours each
   * over 0.5 h, whole run 6 each.
   */
  @Test
  void countsTheTeamsWhileEveryTeamHasPodsTheVirtualNodeHasNotTaken() {
    FakeClock clock = new FakeClock(Instant.parse("2026-12-05T08:00:00Z"));
    SummaryCollector collector =
        new SummaryCollector(
                client,
                () -> Map.of("train-1", client),
                clock,
                Map.of(),
                LendableCapacity.Settings.DEFAULTS)
            .withTeams(Map.of("a", 1.0, "b", 1.0));
    for (String team : List.of("a", "b")) {
      Pod member = pod("gleaner-" + team, "run-" + team, "n1", "4", "Running", true, false);
      member.getMetadata().setAnnotations(Map.of("gleaner.io/meta-namespace", team));
      client.resource(member).create();
    }
    client.resource(metaPod("a", "a-1", null)).create();
    client.resource(metaPod("b", "b-1", "gleaner")).create();

    clock.advance(Duration.ofMinutes(30));
    collector.sample();
    client.resource(metaPod("b", "b-2", null)).create();
    clock.advance(Duration.ofMinutes(30));
    collector.sample();
    clock.advance(Duration.ofMinutes(30));
    collector.sample();

    TeamHarvest teams = collector.summary().teams();
    TeamHarvest.Span backlogged = teams.whileAllBacklogged();
    assertThat(backlogged.startsAtSimulatedHours()).isEqualTo(1.0);
    assertThat(backlogged.simulatedHours()).isEqualTo(0.5);
    assertThat(backlogged.teams().get("a").harvestedCoreHours()).isEqualTo(2.0);
    assertThat(backlogged.teams().get("b").harvestedCoreHours()).isEqualTo(2.0);
    assertThat(teams.wholeRun().teams().get("b").harvestedCoreHours()).isEqualTo(6.0);
    assertThat(teams.backlogs().get("b")).isEqualTo(new TeamHarvest.Backlog(1, 0));
    assertThat(teams.backlogs().get("a")).isEqualTo(new TeamHarvest.Backlog(0, 1));
  }

  /** A team's metadata pod waiting for the virtual node: gated when not bound to it. */
  private static Pod metaPod(String ns, String name, String node) {
    Pod p = pod(ns, name, node, "1", "Pending", false, false);
    p.getMetadata().setLabels(Map.of("gleaner.io/class", "offline"));
    if (node == null) {
      p.getSpec()
          .setSchedulingGates(
              List.of(
                  new io.fabric8.kubernetes.api.model.PodSchedulingGate("gleaner.io/fair-share")));
    }
    return p;
  }

  private static Pod pod(
      String ns,
      String name,
      String node,
      String cpu,
      String phase,
      boolean gleaner,
      boolean unschedulable) {
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withNamespace(ns)
            .withName(name)
            .addToLabels(
                gleaner
                    ? Map.of("gleaner.io/managed", "true", "gleaner.io/source", "idle")
                    : Map.of("app", "web"))
            .endMetadata()
            .withNewSpec()
            .withNodeName(node)
            .addNewContainer()
            .withName("c")
            .withNewResources()
            .withRequests(Map.of("cpu", new Quantity(cpu), "memory", new Quantity("1Gi")))
            .endResources()
            .endContainer()
            .endSpec()
            .withNewStatus()
            .withPhase(phase)
            .endStatus();
    if (unschedulable) {
      b.editStatus()
          .addNewCondition()
          .withType("PodScheduled")
          .withStatus("False")
          .withReason("Unschedulable")
          .endCondition()
          .endStatus();
    }
    return b.build();
  }
}
