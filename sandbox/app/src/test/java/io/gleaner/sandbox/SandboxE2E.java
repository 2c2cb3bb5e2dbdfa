package io.gleaner.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.meta.resources.Resources;
import io.gleaner.sandbox.install.RbacUsage;
import io.gleaner.sandbox.scenario.SandboxSummary;
import io.gleaner.sim.SimulatedCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole system on a small simulated federation, checked the way a user would check it: through
 * the clusters' APIs. Two online clusters, one Volcano training cluster and one co-location
 * cluster, at 120x.
 */
class SandboxE2E {
  @TempDir static Path kubeconfigs;
  private static Sandbox sandbox;

  @BeforeAll
  static void start() throws Exception {
    SandboxOptions options =
        SandboxOptions.defaults(kubeconfigs).withSpeed(120).withClusters(2, 1, 1).withPorts(0, 0);
    sandbox = new Sandbox(options, step -> System.out.println("[sandbox] " + step)).start();
  }

  @AfterAll
  static void stop() {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  @Test
  void teamsPodsRunInMembersAndNothingPendsThereForLackOfRoom() {
    KubernetesClient meta = sandbox.federation().meta().client();

    Node node =
        await()
            .atMost(Duration.ofSeconds(90))
            .until(
                () -> meta.nodes().withName("gleaner").get(),
                n ->
                    n != null
                        && Resources.fromQuantities(n.getStatus().getAllocatable()).cpuMillis()
                            > 0);
    assertThat(node.getSpec().getTaints())
        .anyMatch(
            t ->
                t.getKey().equals("virtual-kubelet.io/provider")
                    && t.getEffect().equals("NoSchedule"));
    assertThat(node.getMetadata().getLabels()).containsEntry("type", "virtual-kubelet");

    await()
        .atMost(Duration.ofSeconds(150))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              SandboxSummary s = sandbox.summary();
              assertThat(s.placedBySource().values().stream().filter(n -> n > 0).count())
                  .as("sources used: %s", s.placedBySource())
                  .isGreaterThanOrEqualTo(2);
              assertThat(s.podsByClass()).containsKeys("offline", "near-line");
              assertThat(s.podsByClass().get("offline").get("running")).isPositive();
            });

    // Every Running metadata pod is backed by exactly one Gleaner pod in some member. The metadata
    // pods and the members are read one after the other while pods end and are reclaimed: a pod
    // whose member pod is gone in between must be seen to end (its status follows within moments).
    List<Pod> running =
        meta.pods().inAnyNamespace().list().getItems().stream()
            .filter(
                p ->
                    "gleaner".equals(p.getSpec().getNodeName())
                        && "Running".equals(p.getStatus().getPhase()))
            .toList();
    assertThat(running).isNotEmpty();
    List<Pod> backed = new java.util.ArrayList<>();
    for (Pod p : running) {
      long backing = backing(p);
      assertThat(backing).as("member pods backing %s", p.getMetadata().getName()).isLessThan(2);
      if (backing == 1) {
        backed.add(p);
      } else if (backing == 0) {
        await()
            .atMost(Duration.ofSeconds(10))
            .alias(p.getMetadata().getName() + " Running with no member pod")
            .until(() -> !"Running".equals(phase(meta, p)) || backing(p) == 1);
      }
    }
    assertThat(backed).as("Running metadata pods backed by a member pod").isNotEmpty();
    assertThat(backed).allSatisfy(p -> assertThat(p.getStatus().getPodIP()).isNotBlank());

    // kubectl logs goes through the metadata API server to the virtual-kubelet's kubelet API and on
    // to the member. A pod listed as Running may have ended since (finished, its Job's pods then
    // deleted after their TTL, or reclaimed): then the next one.
    String log = null;
    for (Pod p : backed) {
      try {
        log =
            meta.pods()
                .inNamespace(p.getMetadata().getNamespace())
                .withName(p.getMetadata().getName())
                .getLog();
        break;
      } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
        // its member pod is gone (the pod finished, or was reclaimed: its logs went with it), so
        // the pod must be gone or stop being Running within moments
        assertThat(e.getCode())
            .as("reading the logs of %s: %s", p.getMetadata().getName(), e)
            .isEqualTo(404);
        await()
            .atMost(Duration.ofSeconds(10))
            .alias(p.getMetadata().getName() + " Running with its logs not found")
            .until(() -> !"Running".equals(phase(meta, p)));
      }
    }
    assertThat(log).as("the logs of a Running pod").isNotBlank();

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(sandbox.summary().memberPodsPendingUnschedulable())
                    .as("Gleaner pods Pending in a member for lack of room")
                    .isZero());

    var waits = sandbox.onlineWaits();
    System.out.println(
        "[sandbox] online pods that waited for Gleaner: "
            + waits.size()
            + ", longest "
            + waits.stream().mapToLong(w -> w.waited().toSeconds()).max().orElse(0)
            + " s simulated, allowed "
            + waits.stream().mapToLong(w -> w.allowed().toSeconds()).min().orElse(0)
            + " s or more; each: "
            + waits.stream().map(w -> w.pod() + "=" + w.waited().toSeconds() + "s").toList());
    // every service process reports its vitals for the soak figures (heap, threads, open files)
    assertThat(sandbox.vitals().keySet())
        .as("processes whose vitals were read")
        .containsAll(
            sandbox.processes().replicas().stream()
                .map(io.gleaner.sandbox.install.ServiceProcesses.Replica::name)
                .toList());
    assertThat(sandbox.vitals().values()).allSatisfy(v -> assertThat(v.samples()).isPositive());
    assertThat(sandbox.invariantObservations()).as("invariant checks done").isPositive();
    // ml-batch's training gangs in the metadata cluster: partial_gang counts any that runs in part.
    // Not waited for here (it doubled this test's time, against the suite's 10-minute budget): a
    // gang applied with kubectl runs whole and is reclaimed whole in InstallIT, and a default
    // sandbox run's online surge reclaims one whole (gangs_reclaimed_whole). In this test's two
    // runs of 2026-12-06 no gang ran: the first failed GangNotSchedulable waiting for its team's
    // turn, so no surge was made, and a whole reclaim is not asserted; none in part is.
    SandboxSummary end = sandbox.summary();
    System.out.println(
        "[sandbox] metadata gangs (pods by phase/reason): "
            + metaGangs(meta)
            + "; seen running whole: "
            + sandbox.gangsRunWhole()
            + "; reclaimed whole: "
            + end.gangsReclaimedWhole()
            + ", in part: "
            + end.gangsReclaimedInPart()
            + "; online surge: "
            + sandbox.onlineSurge());
    // a gang reclaimed in part, seen from its metadata pods (the surge's reclaim, or any other)
    assertThat(end.gangsReclaimedInPart()).as("metadata gangs reclaimed in part").isZero();
    assertThat(sandbox.invariantViolations())
        .as("invariant violations by kind (the sandbox log names each with its evidence)")
        .containsKey("partial_gang")
        .allSatisfy((kind, n) -> assertThat(n).as(kind).isZero());

    // least privilege under load: no service was refused anything (InstallIT also checks that
    // every grant is used)
    List<io.gleaner.sim.apiserver.audit.AuditEvent> memberEvents = new java.util.ArrayList<>();
    sandbox
        .federation()
        .members()
        .forEach(c -> memberEvents.addAll(c.apiServer().security().audit().events()));
    RbacUsage.Report members =
        RbacUsage.analyze(sandbox.memberRendered(), sandbox.memberIdentities(), memberEvents);
    RbacUsage.Report metaUse =
        RbacUsage.analyze(
            sandbox.rendered(),
            Sandbox.serviceAccountUsers(sandbox.rendered()),
            sandbox.federation().meta().apiServer().security().audit().events());
    System.out.println("[sandbox] members, used by Gleaner: " + members.used());
    System.out.println("[sandbox] members, unused: " + members.unusedIds());
    assertThat(members.refused()).as("requests RBAC refused in the members").isEmpty();
    assertThat(metaUse.refused()).as("requests RBAC refused in the metadata cluster").isEmpty();

    assertThat(Files.exists(kubeconfigs.resolve("meta.kubeconfig"))).isTrue();
    assertThat(sandbox.dashboardUrl()).startsWith("http://127.0.0.1:");
  }

  /** Each metadata gang of ml-batch: its pods' phases (and reasons), in name order. */
  private static java.util.Map<String, List<String>> metaGangs(KubernetesClient meta) {
    java.util.Map<String, List<String>> out = new java.util.TreeMap<>();
    for (Pod p : meta.pods().inNamespace("ml-batch").list().getItems()) {
      String group = p.getMetadata().getAnnotations().get("scheduling.k8s.io/group-name");
      if (group != null) {
        String reason = p.getStatus().getReason();
        out.computeIfAbsent(group, k -> new java.util.ArrayList<>())
            .add(p.getStatus().getPhase() + (reason == null ? "" : "/" + reason));
      }
    }
    out.values().forEach(java.util.Collections::sort);
    return out;
  }

  /** The Gleaner pods in the members that back metadata pod {@code p}. */
  private static long backing(Pod p) {
    return sandbox.federation().members().stream()
        .map(SimulatedCluster::client)
        .mapToLong(
            c ->
                c.pods()
                    .inAnyNamespace()
                    .withLabel("gleaner.io/meta-uid", p.getMetadata().getUid())
                    .list()
                    .getItems()
                    .size())
        .sum();
  }

  /** The metadata pod's phase now; null once it is gone. */
  private static String phase(KubernetesClient meta, Pod p) {
    Pod now =
        meta.pods()
            .inNamespace(p.getMetadata().getNamespace())
            .withName(p.getMetadata().getName())
            .get();
    return now == null ? null : now.getStatus().getPhase();
  }
}
