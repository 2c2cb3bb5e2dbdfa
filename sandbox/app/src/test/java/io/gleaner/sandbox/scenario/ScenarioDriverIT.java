package io.gleaner.sandbox.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.kube.VolcanoPodGroups;
import io.gleaner.meta.time.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class ScenarioDriverIT {
  KubernetesClient client;

  @Test
  void submitsJobsOnTheSimulatedClockAndGangsToTrainingClusters() {
    FakeClock clock = new FakeClock(Instant.parse("2026-11-23T06:00:00Z"));
    ScenarioDriver driver =
        new ScenarioDriver(
            client,
            Map.of("train-1", client),
            clock,
            7,
            Duration.ofMinutes(5),
            Duration.ofMinutes(60));
    driver.setUp();
    driver.tick();
    assertThat(driver.jobsSubmitted()).isEqualTo(1);
    assertThat(driver.metaGangsSubmitted()).as("the first metadata gang at once").isEqualTo(1);
    driver.tick(); // nothing is due yet
    assertThat(driver.jobsSubmitted()).isEqualTo(1);
    clock.advance(Duration.ofMinutes(30));
    driver.tick();
    assertThat(driver.jobsSubmitted()).isEqualTo(7);
    assertThat(driver.gangsSubmitted()).isEqualTo(1);
    assertThat(driver.metaGangsSubmitted()).as("the next one gangEvery later").isEqualTo(1);

    List<Job> jobs = client.batch().v1().jobs().inAnyNamespace().list().getItems();
    assertThat(jobs).hasSize(7);
    assertThat(jobs)
        .extracting(
            j -> j.getSpec().getTemplate().getMetadata().getLabels().get("gleaner.io/class"))
        .contains("offline", "near-line");
    var spec = jobs.get(0).getSpec().getTemplate().getSpec();
    assertThat(spec.getNodeSelector()).containsEntry("type", "virtual-kubelet");
    assertThat(spec.getTolerations())
        .anyMatch(
            t ->
                "virtual-kubelet.io/provider".equals(t.getKey())
                    && "NoSchedule".equals(t.getEffect()));
    assertThat(spec.getTolerations())
        .anyMatch(t -> "node.kubernetes.io/unreachable".equals(t.getKey()));

    List<GenericKubernetesResource> groups =
        client
            .genericKubernetesResources(VolcanoPodGroups.CONTEXT)
            .inNamespace("training")
            .list()
            .getItems();
    assertThat(groups).hasSize(1);
    List<Pod> gang = client.pods().inNamespace("training").list().getItems();
    assertThat(gang)
        .hasSize(4)
        .allMatch(
            p -> p.getMetadata().getAnnotations().containsKey("scheduling.k8s.io/group-name"));

    // ml-batch's training gang in the metadata cluster: a PodGroup of minMember 3 and its pods
    List<GenericKubernetesResource> metaGroups =
        client
            .genericKubernetesResources(VolcanoPodGroups.CONTEXT)
            .inNamespace("ml-batch")
            .list()
            .getItems();
    assertThat(metaGroups).hasSize(1);
    String group = metaGroups.get(0).getMetadata().getName();
    assertThat(
            ((Map<?, ?>) metaGroups.get(0).getAdditionalProperties().get("spec")).get("minMember"))
        .isEqualTo(3);
    List<Pod> metaGang =
        client.pods().inNamespace("ml-batch").withLabel("app", group).list().getItems();
    assertThat(metaGang)
        .hasSize(3)
        .allSatisfy(
            p -> {
              assertThat(p.getMetadata().getAnnotations())
                  .containsEntry("scheduling.k8s.io/group-name", group);
              assertThat(p.getSpec().getNodeSelector()).containsEntry("type", "virtual-kubelet");
            });
  }

  @Test
  void withTheFairShareGateTheTeamsSubmitGatedPodsWithoutItPlainOnes() {
    FakeClock clock = new FakeClock(Instant.parse("2026-11-23T06:00:00Z"));
    ScenarioDriver.Backlog backlog = new ScenarioDriver.Backlog(4, 2, 0, Duration.ofMinutes(1), 10);
    new ScenarioDriver(client, Map.of(), clock, 7, Duration.ZERO, Duration.ofHours(1), backlog)
        .withFairShareGate(true)
        .tick();
    List<Job> gated = client.batch().v1().jobs().inAnyNamespace().list().getItems();
    assertThat(gated)
        .isNotEmpty()
        .allSatisfy(
            j ->
                assertThat(j.getSpec().getTemplate().getSpec().getSchedulingGates())
                    .extracting(io.fabric8.kubernetes.api.model.PodSchedulingGate::getName)
                    .containsExactly(GleanerKeys.FAIR_SHARE_GATE));
    client.batch().v1().jobs().inAnyNamespace().delete();
    new ScenarioDriver(client, Map.of(), clock, 7, Duration.ZERO, Duration.ofHours(1), backlog)
        .tick();
    assertThat(client.batch().v1().jobs().inAnyNamespace().list().getItems())
        .isNotEmpty()
        .allSatisfy(
            j -> assertThat(j.getSpec().getTemplate().getSpec().getSchedulingGates()).isEmpty());
  }

  @Test
  void keepsEachKindOfPodWaitingForTheVirtualNode() {
    FakeClock clock = new FakeClock(Instant.parse("2026-11-23T06:00:00Z"));
    ScenarioDriver.Backlog backlog =
        new ScenarioDriver.Backlog(10, 4, 3, Duration.ofMinutes(1), 50);
    ScenarioDriver driver =
        new ScenarioDriver(client, Map.of(), clock, 7, Duration.ZERO, Duration.ofHours(1), backlog);
    JobController jobs = new JobController(client, clock);
    driver.setUp();
    driver.tick();
    long firstJobs = driver.jobsSubmitted();
    assertThat(firstJobs).isPositive().isEqualTo(driver.backlogJobsSubmitted());
    // the Jobs' pods do not exist yet: they count as waiting, so a second look adds nothing
    assertThat(driver.waiting())
        .allSatisfy(
            (kind, n) ->
                assertThat(n).as(kind.name()).isGreaterThanOrEqualTo(backlog.target(kind)));
    // each team keeps its own part: near-line for ads-nearline, half the offline and GPU pods for
    // each of the two offline teams
    Map<String, Map<ScenarioDriver.Kind, Integer>> byTeam = driver.waitingByNamespace();
    assertThat(byTeam.get("ads-nearline")).containsOnlyKeys(ScenarioDriver.Kind.NEAR_LINE);
    assertThat(byTeam.get("ads-nearline").get(ScenarioDriver.Kind.NEAR_LINE))
        .isGreaterThanOrEqualTo(4);
    for (String team : List.of("ml-batch", "search-offline")) {
      assertThat(byTeam.get(team).get(ScenarioDriver.Kind.OFFLINE))
          .as(team)
          .isGreaterThanOrEqualTo(5);
      assertThat(byTeam.get(team).get(ScenarioDriver.Kind.GPU)).as(team).isGreaterThanOrEqualTo(2);
      assertThat(byTeam.get(team)).doesNotContainKey(ScenarioDriver.Kind.NEAR_LINE);
    }
    clock.advance(Duration.ofMinutes(1));
    driver.tick();
    assertThat(driver.jobsSubmitted()).isEqualTo(firstJobs);

    jobs.reconcileAll();
    List<Pod> pods = client.pods().inAnyNamespace().withLabel("gleaner.io/class").list().getItems();
    Map<ScenarioDriver.Kind, Integer> waiting = driver.waiting();
    assertThat(waiting.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(pods.size());
    assertThat(pods)
        .filteredOn(
            p ->
                ScenarioDriver.Kind.of(p.getSpec(), p.getMetadata().getLabels())
                    == ScenarioDriver.Kind.GPU)
        .isNotEmpty()
        .allMatch(p -> p.getMetadata().getLabels().get("gleaner.io/class").equals("offline"));

    // the virtual node takes every waiting pod onto member nodes: the next check tops each kind up
    for (Pod p : pods) {
      p.getSpec().setNodeName("gleaner");
      p.setStatus(new PodStatusBuilder().withPhase("Pending").withHostIP("10.0.0.1").build());
      client.pods().inNamespace(p.getMetadata().getNamespace()).resource(p).updateStatus();
    }
    assertThat(driver.waiting()).allSatisfy((kind, n) -> assertThat(n).as(kind.name()).isZero());
    driver.tick(); // not due yet
    assertThat(driver.jobsSubmitted()).isEqualTo(firstJobs);
    clock.advance(Duration.ofMinutes(1));
    driver.tick();
    assertThat(driver.jobsSubmitted()).isGreaterThan(firstJobs);
    assertThat(driver.waiting())
        .allSatisfy(
            (kind, n) ->
                assertThat(n).as(kind.name()).isGreaterThanOrEqualTo(backlog.target(kind)));
    assertThat(client.batch().v1().jobs().inAnyNamespace().list().getItems())
        .allMatch(j -> j.getSpec().getTtlSecondsAfterFinished() != null);
  }

  @Test
  void aCheckShortOfBudgetGoesFirstToTheTeamFurthestBelowItsTarget() {
    FakeClock clock = new FakeClock(Instant.parse("2026-11-23T06:00:00Z"));
    // ads-nearline is 60 near-line pods short, each offline team 5 offline and 2 GPU pods: each
    // kind is wholly short, so the most pods short goes first (ads-nearline); its Job (3 to 8
    // pods) leaves it short of less than its whole target, so the offline teams' offline and GPU
    // pods go next, though ads-nearline is still 52 or more pods short (counted in pods alone, it
    // would take all five Jobs and the GPU pods would wait for every other kind to be nearly full)
    ScenarioDriver.Backlog backlog =
        new ScenarioDriver.Backlog(10, 60, 4, Duration.ofMinutes(1), 5);
    new ScenarioDriver(client, Map.of(), clock, 7, Duration.ZERO, Duration.ofHours(1), backlog)
        .tick();
    assertThat(client.batch().v1().jobs().inAnyNamespace().list().getItems())
        .extracting(
            j ->
                j.getMetadata().getNamespace()
                    + "/"
                    + ScenarioDriver.Kind.of(
                        j.getSpec().getTemplate().getSpec(),
                        j.getSpec().getTemplate().getMetadata().getLabels()))
        .containsExactlyInAnyOrder(
            "ads-nearline/NEAR_LINE",
            "search-offline/OFFLINE",
            "ml-batch/OFFLINE",
            "search-offline/GPU",
            "ml-batch/GPU");
  }

  /** A pod or Job template the scenario wrote: where, its kind and its annotations. */
  private record Submitted(String name, ScenarioDriver.Kind kind, Map<String, String> annotations) {
    long runSeconds() {
      return Long.parseLong(annotations.get(ScenarioDriver.RUN_SECONDS_ANNOTATION));
    }

    String declared() {
      return annotations.get(GleanerKeys.EXPECTED_RUNTIME);
    }
  }

  /**
   * An hour of arrivals (every 5 minutes: offline, near-line and GPU Jobs, offline and near-line
   * single pods), a backlog and the training gangs, with the declarations on or off: every Job
   * template and pod written, by name.
   */
  private Map<String, Submitted> anHourOfScenario(boolean declare) {
    FakeClock clock = new FakeClock(Instant.parse("2026-11-23T06:00:00Z"));
    ScenarioDriver driver =
        new ScenarioDriver(
                client,
                Map.of("train-1", client),
                clock,
                7,
                Duration.ofMinutes(5),
                Duration.ofMinutes(30),
                new ScenarioDriver.Backlog(10, 4, 3, Duration.ofMinutes(10), 10))
            .withDeclaredRuntimes(declare);
    driver.setUp();
    for (int i = 0; i < 12; i++) {
      driver.tick();
      clock.advance(Duration.ofMinutes(5));
    }
    Map<String, Submitted> out = new java.util.TreeMap<>();
    for (Job j : client.batch().v1().jobs().inAnyNamespace().list().getItems()) {
      var t = j.getSpec().getTemplate();
      out.put(
          "job/" + j.getMetadata().getName(),
          new Submitted(
              j.getMetadata().getName(),
              ScenarioDriver.Kind.of(t.getSpec(), t.getMetadata().getLabels()),
              t.getMetadata().getAnnotations()));
    }
    for (Pod p : client.pods().inAnyNamespace().list().getItems()) {
      out.put(
          "pod/" + p.getMetadata().getNamespace() + "/" + p.getMetadata().getName(),
          new Submitted(
              p.getMetadata().getName(),
              ScenarioDriver.Kind.of(p.getSpec(), p.getMetadata().getLabels()),
              p.getMetadata().getAnnotations()));
    }
    return out;
  }

  @Test
  void offlinePodsDeclareTheirTeamsEstimateOfTheirRunTimeTheOthersNone() {
    Map<String, Submitted> on = anHourOfScenario(true);
    List<Submitted> offline =
        on.values().stream()
            .filter(s -> s.kind() == ScenarioDriver.Kind.OFFLINE)
            .filter(s -> !s.annotations().containsKey(GleanerKeys.VOLCANO_GROUP_NAME))
            .toList();
    assertThat(offline)
        .as("offline Jobs, backlog Jobs and single pods")
        .anyMatch(s -> s.name().startsWith("offline-pod-"))
        .anyMatch(s -> s.name().startsWith("offline-job-"))
        .hasSizeGreaterThan(5)
        .allSatisfy(
            s -> {
              assertThat(s.declared()).as(s.name()).matches("[1-9][0-9]*m");
              long minutes = Long.parseLong(s.declared().replace("m", ""));
              assertThat(minutes)
                  .as("%s runs %d s, declares %s", s.name(), s.runSeconds(), s.declared())
                  .isBetween(
                      (long) Math.ceil(0.8 * s.runSeconds() / 60.0),
                      (long) Math.ceil(1.4 * s.runSeconds() / 60.0));
            });
    assertThat(offline)
        .as("an estimate, not the run time: some short, some long")
        .anyMatch(s -> Long.parseLong(s.declared().replace("m", "")) * 60 < s.runSeconds())
        .anyMatch(s -> Long.parseLong(s.declared().replace("m", "")) * 60 > s.runSeconds() + 60);
    assertThat(on.values())
        .filteredOn(s -> s.kind() == ScenarioDriver.Kind.NEAR_LINE)
        .as("near-line Jobs and pods")
        .anyMatch(s -> s.name().startsWith("near-line-pod-"))
        .anyMatch(s -> s.name().startsWith("near-line-job-"))
        .allSatisfy(s -> assertThat(s.declared()).as(s.name()).isNull());
    assertThat(on.values())
        .filteredOn(s -> s.kind() == ScenarioDriver.Kind.GPU)
        .as("GPU Jobs")
        .isNotEmpty()
        .allSatisfy(s -> assertThat(s.declared()).as(s.name()).isNull());
    assertThat(on.values())
        .filteredOn(s -> s.annotations().containsKey(GleanerKeys.VOLCANO_GROUP_NAME))
        .as("training gangs, in the metadata cluster and in the training clusters")
        .anyMatch(s -> s.name().startsWith("train-gang-"))
        .anyMatch(s -> s.name().startsWith("train-1-worker-"))
        .allSatisfy(s -> assertThat(s.declared()).as(s.name()).isNull());

    client.batch().v1().jobs().inAnyNamespace().delete();
    client.pods().inAnyNamespace().delete();
    client.genericKubernetesResources(VolcanoPodGroups.CONTEXT).inAnyNamespace().delete();
    Map<String, Submitted> off = anHourOfScenario(false);
    assertThat(off.values()).allSatisfy(s -> assertThat(s.declared()).as(s.name()).isNull());
    assertThat(off.keySet()).as("the same pods with or without").isEqualTo(on.keySet());
    off.forEach(
        (name, s) -> {
          Map<String, String> declared = new java.util.HashMap<>(on.get(name).annotations());
          declared.remove(GleanerKeys.EXPECTED_RUNTIME);
          assertThat(s.annotations()).as(name).isEqualTo(declared);
          assertThat(s.kind()).as(name).isEqualTo(on.get(name).kind());
        });
  }

  @Test
  void aDeclaredRunTimeIsTheEstimateRoundedUpToWholeMinutes() {
    assertThat(ScenarioDriver.declaredRuntime(1800, 1.0)).isEqualTo("30m");
    assertThat(ScenarioDriver.declaredRuntime(1801, 1.0)).isEqualTo("31m");
    assertThat(ScenarioDriver.declaredRuntime(2220, 0.8)).isEqualTo("30m");
    assertThat(ScenarioDriver.declaredRuntime(600, 1.4)).isEqualTo("14m");
    assertThat(ScenarioDriver.declaredRuntime(10, 0.8)).isEqualTo("1m");
  }

  @Test
  void percentilesAreNearestRank() {
    assertThat(SummaryCollector.percentile(List.of(), 50)).isZero();
    assertThat(SummaryCollector.percentile(List.of(3.0, 1.0, 2.0), 50)).isEqualTo(2.0);
    assertThat(SummaryCollector.percentile(List.of(1.0, 2.0, 3.0, 4.0), 99)).isEqualTo(4.0);
  }
}
