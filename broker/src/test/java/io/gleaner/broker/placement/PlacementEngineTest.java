package io.gleaner.broker.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.broker.model.NoFit;
import io.gleaner.broker.model.NodeKey;
import io.gleaner.broker.model.NodeOffer;
import io.gleaner.broker.model.Placement;
import io.gleaner.broker.model.PodRequest;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.kube.KubeNodeSelectorRequirement;
import io.gleaner.meta.kube.KubeNodeSelectorRequirement.Operator;
import io.gleaner.meta.kube.KubeNodeSelectorTerm;
import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.kube.KubeToleration;
import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlacementEngineTest {
  private static final PlacementPolicy NO_MARGINS = PlacementPolicy.defaults().withoutMargins();

  private static NodeOffer node(String cluster, String name, CapacitySource src, String... res) {
    return NodeOffer.of(cluster, name, src, Resources.of(res));
  }

  private static NodeOffer node(String cluster, String name, String... res) {
    return node(cluster, name, CapacitySource.IDLE, res);
  }

  private static PodRequest pod(String uid, String... res) {
    return PodRequest.of(uid, WorkloadClass.NEAR_LINE, Resources.of(res));
  }

  private static PlacementEngine.Fit fit(PlacementEngine e, PodRequest p) {
    PlacementEngine.Decision d = e.decide(p);
    assertThat(d).as("decision for %s", p.podUid()).isInstanceOf(PlacementEngine.Fit.class);
    return (PlacementEngine.Fit) d;
  }

  private static String refusal(PlacementEngine e, PodRequest p) {
    PlacementEngine.Decision d = e.decide(p);
    assertThat(d).as("decision for %s", p.podUid()).isInstanceOf(PlacementEngine.Refusal.class);
    return ((PlacementEngine.Refusal) d).noFit().message();
  }

  /** Decides and reserves, like the ledger does. */
  private static Placement place(PlacementEngine e, PodRequest p) {
    PlacementEngine.Fit f = fit(e, p);
    Placement pl =
        new Placement(
            p.podUid(),
            "",
            "",
            f.node(),
            f.source(),
            p.workloadClass(),
            p.requests(),
            Arrays.stream(f.gpuDevices()).boxed().toList(),
            f.gpuMilli(),
            0,
            false);
    e.reserve(pl);
    return pl;
  }

  @Test
  void keepsTheSourceMarginFreeAndSaysHowMuchTheLargestNodeOffers() {
    PlacementEngine e = new PlacementEngine(PlacementPolicy.defaults());
    e.offer(node("a", "n1", "cpu", "10", "memory", "10Gi", "pods", "10"));
    assertThat(fit(e, pod("p1", "cpu", "9")).node()).isEqualTo(new NodeKey("a", "n1"));
    assertThat(refusal(e, pod("p2", "cpu", "9500m")))
        .isEqualTo("largest free node offers 9 CPU, pod requests 9500m CPU");
  }

  @Test
  void bestFitTakesTheNodeWithLeastLeftoverOnTheDominantResource() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "big", "cpu", "16", "memory", "64Gi"));
    e.offer(node("a", "mid", "cpu", "8", "memory", "64Gi"));
    e.offer(node("b", "small", "cpu", "4", "memory", "64Gi"));
    assertThat(fit(e, pod("p", "cpu", "6", "memory", "1Gi")).node().node()).isEqualTo("mid");
    assertThat(fit(e, pod("q", "cpu", "3", "memory", "1Gi")).node().node()).isEqualTo("small");
    // memory-dominant pod: all have 64Gi; the smallest leftover is the same, so fewer reserved pods
    // (spread) decides
    assertThat(fit(e, pod("r", "cpu", "1", "memory", "60Gi")).node().node())
        .isIn("big", "mid", "small");
  }

  @Test
  void sourcePreferenceComesBeforeBestFit() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "idle", CapacitySource.IDLE, "cpu", "64", "memory", "64Gi"));
    e.offer(node("a", "colo", CapacitySource.COLOCATION, "cpu", "2", "memory", "2Gi"));
    e.offer(node("a", "volc", CapacitySource.VOLCANO, "cpu", "2", "memory", "2Gi"));
    assertThat(fit(e, pod("p", "cpu", "2", "memory", "1Gi")).node().node()).isEqualTo("idle");
    e.withdraw(new NodeKey("a", "idle"));
    assertThat(fit(e, pod("p", "cpu", "2", "memory", "1Gi")).node().node()).isEqualTo("colo");
  }

  @Test
  void elasticCapacityIsForNearLineOnly() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "el", CapacitySource.ELASTIC, "cpu", "8", "memory", "8Gi"));
    PodRequest offline = PodRequest.of("o", WorkloadClass.OFFLINE, Resources.of("cpu", "1"));
    assertThat(refusal(e, offline))
        .isEqualTo("only ELASTIC capacity is lent now, and offline pods may not use it");
    assertThat(fit(e, pod("n", "cpu", "1")).source()).isEqualTo(CapacitySource.ELASTIC);
  }

  @Test
  void nodeSelectorAndRequiredAffinityFilterNodes() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(
        new NodeOffer(
            new NodeKey("a", "ssd"),
            CapacitySource.IDLE,
            Resources.of("cpu", "4"),
            Map.of("disk", "ssd", "gen", "5"),
            List.of(),
            0,
            "",
            List.of(),
            0));
    e.offer(
        new NodeOffer(
            new NodeKey("a", "hdd"),
            CapacitySource.IDLE,
            Resources.of("cpu", "4"),
            Map.of("disk", "hdd", "gen", "3"),
            List.of(),
            0,
            "",
            List.of(),
            0));
    PodRequest base = pod("p", "cpu", "1");
    PodRequest bySelector =
        new PodRequest(
            "p",
            "",
            "",
            WorkloadClass.NEAR_LINE,
            base.requests(),
            Map.of("disk", "hdd"),
            List.of(),
            List.of(),
            0,
            Set.of());
    assertThat(fit(e, bySelector).node().node()).isEqualTo("hdd");
    PodRequest byGt =
        new PodRequest(
            "p",
            "",
            "",
            WorkloadClass.NEAR_LINE,
            base.requests(),
            Map.of(),
            List.of(
                KubeNodeSelectorTerm.of(
                    new KubeNodeSelectorRequirement("gen", Operator.Gt, List.of("4")))),
            List.of(),
            0,
            Set.of());
    assertThat(fit(e, byGt).node().node()).isEqualTo("ssd");
    PodRequest none =
        new PodRequest(
            "p",
            "",
            "",
            WorkloadClass.NEAR_LINE,
            base.requests(),
            Map.of("disk", "nvme"),
            List.of(),
            List.of(),
            0,
            Set.of());
    assertThat(refusal(e, none))
        .isEqualTo("no lent node matches the pod's nodeSelector/required affinity disk=nvme");
  }

  @Test
  void taintsMustBeTolerated() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(
        new NodeOffer(
            new NodeKey("a", "gpu"),
            CapacitySource.IDLE,
            Resources.of("cpu", "4"),
            Map.of(),
            List.of(
                KubeTaint.of("dedicated", "ml", "NoSchedule"),
                KubeTaint.of("soft", "", "PreferNoSchedule")),
            0,
            "",
            List.of(),
            0));
    assertThat(refusal(e, pod("p", "cpu", "1")))
        .isEqualTo("no node tolerates the pod: untolerated taints dedicated=ml:NoSchedule");
    PodRequest tolerant =
        new PodRequest(
            "p",
            "",
            "",
            WorkloadClass.NEAR_LINE,
            Resources.of("cpu", "1"),
            Map.of(),
            List.of(),
            List.of(KubeToleration.equal("dedicated", "ml", "NoSchedule")),
            0,
            Set.of());
    assertThat(fit(e, tolerant).node().node()).isEqualTo("gpu");
    PodRequest wrongValue =
        new PodRequest(
            "p",
            "",
            "",
            WorkloadClass.NEAR_LINE,
            Resources.of("cpu", "1"),
            Map.of(),
            List.of(),
            List.of(KubeToleration.equal("dedicated", "web", "")),
            0,
            Set.of());
    assertThat(e.decide(wrongValue)).isInstanceOf(PlacementEngine.Refusal.class);
    PodRequest all =
        new PodRequest(
            "p",
            "",
            "",
            WorkloadClass.NEAR_LINE,
            Resources.of("cpu", "1"),
            Map.of(),
            List.of(),
            List.of(KubeToleration.exists("")),
            0,
            Set.of());
    assertThat(fit(e, all).node().node()).isEqualTo("gpu");
  }

  @Test
  void unhealthyMembersAreExcludedAndNotAdvertised() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "n1", "cpu", "4"));
    e.offer(node("b", "n2", "cpu", "8"));
    e.setHealthy("b", false);
    assertThat(fit(e, pod("p", "cpu", "3")).node().cluster()).isEqualTo("a");
    assertThat(refusal(e, pod("q", "cpu", "6")))
        .isEqualTo("largest free node offers 4 CPU, pod requests 6 CPU");
    assertThat(e.advertised(WorkloadClass.NEAR_LINE).cpuMillis()).isEqualTo(4000);
    e.setHealthy("b", true);
    assertThat(fit(e, pod("q", "cpu", "6")).node().cluster()).isEqualTo("b");
    assertThat(e.advertised(WorkloadClass.NEAR_LINE).cpuMillis()).isEqualTo(12000);
  }

  @Test
  void aResourceNoNodeHasIsNamed() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "n1", "cpu", "4"));
    assertThat(refusal(e, pod("p", "cpu", "1", "nvidia.com/gpu", "1")))
        .isEqualTo("pod requests nvidia.com/gpu but no lent node has it");
    assertThat(refusal(e, pod("p", "cpu", "1", "example.com/fpga", "1")))
        .isEqualTo("pod requests example.com/fpga but no lent node has it");
  }

  @Test
  void gpuSharingTakesTheBestFittingDeviceAndWholeGpusNeedFreeDevices() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(
        new NodeOffer(
            new NodeKey("a", "g"),
            CapacitySource.IDLE,
            Resources.of("cpu", "32", "nvidia.com/gpu", "2"),
            Map.of(),
            List.of(),
            0,
            "",
            List.of(1000, 600),
            0));
    Placement half = place(e, pod("h", "cpu", "1").withGpuMilli(500));
    assertThat(half.gpuDevices()).containsExactly(1);
    assertThat(half.resources().gpus()).isEqualTo(1);
    Placement second = place(e, pod("h2", "cpu", "1").withGpuMilli(500));
    assertThat(second.gpuDevices()).containsExactly(0);
    assertThat(refusal(e, pod("w", "cpu", "1", "nvidia.com/gpu", "1")))
        .isEqualTo("no node has 1 whole free GPUs; the most on one node is 0");
    assertThat(refusal(e, pod("s", "cpu", "1").withGpuMilli(600)))
        .isEqualTo("no GPU device has 600m free for the pod's GPU share");
    e.release(half);
    assertThat(fit(e, pod("s", "cpu", "1").withGpuMilli(600)).gpuDevices()).containsExactly(1);
  }

  @Test
  void multiGpuPodsTakeWholeDevices() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "g8", "cpu", "96", "nvidia.com/gpu", "8"));
    e.offer(node("a", "g2", "cpu", "96", "nvidia.com/gpu", "2"));
    Placement p = place(e, pod("m", "cpu", "8", "nvidia.com/gpu", "2"));
    assertThat(p.node().node()).isEqualTo("g2");
    assertThat(p.gpuDevices()).containsExactly(0, 1);
    Placement q = place(e, pod("n", "cpu", "8", "nvidia.com/gpu", "4"));
    assertThat(q.node().node()).isEqualTo("g8");
    assertThat(e.freeOf(new NodeKey("a", "g8")).gpus()).isEqualTo(4);
  }

  @Test
  void nonGpuPodsAvoidGpuNodesWhileOthersHaveRoom() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "gpu", "cpu", "8", "nvidia.com/gpu", "1"));
    e.offer(node("a", "cpu", "cpu", "64"));
    assertThat(fit(e, pod("p", "cpu", "4")).node().node()).isEqualTo("cpu");
  }

  @Test
  void theNearLineReserveIsClosedToOfflinePods() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS.withNearLineReserve(25));
    e.offer(node("a", "n1", "cpu", "4"));
    e.offer(node("a", "n2", "cpu", "4"));
    PodRequest off = PodRequest.of("o1", WorkloadClass.OFFLINE, Resources.of("cpu", "2"));
    place(e, off);
    place(e, off.withUid("o2"));
    place(e, off.withUid("o3"));
    String msg = refusal(e, off.withUid("o4"));
    assertThat(msg)
        .startsWith("offline pods may use at most 75% of the lent cpu")
        .contains("offline pods hold 6 of 6, pod requests 2");
    assertThat(fit(e, pod("n", "cpu", "1")).node().cluster()).isEqualTo("a");
    assertThat(e.advertised(WorkloadClass.OFFLINE).cpuMillis()).isEqualTo(6000);
    assertThat(e.advertised(WorkloadClass.NEAR_LINE).cpuMillis()).isEqualTo(8000);
  }

  @Test
  void reclaimRiskThenSpreadBreakTies() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(
        new NodeOffer(
            new NodeKey("a", "risky"),
            CapacitySource.IDLE,
            Resources.of("cpu", "4"),
            Map.of(),
            List.of(),
            0.9,
            "",
            List.of(),
            0));
    e.offer(
        new NodeOffer(
            new NodeKey("b", "safe"),
            CapacitySource.IDLE,
            Resources.of("cpu", "4"),
            Map.of(),
            List.of(),
            0.1,
            "",
            List.of(),
            0));
    assertThat(fit(e, pod("p", "cpu", "1")).node().node()).isEqualTo("safe");
    PlacementEngine s = new PlacementEngine(NO_MARGINS);
    s.offer(node("a", "a1", "cpu", "8"));
    s.offer(node("a", "a2", "cpu", "8"));
    s.offer(node("b", "b1", "cpu", "4"));
    s.offer(node("b", "b2", "cpu", "8"));
    place(s, pod("x", "cpu", "4")); // takes b1 (best fit)
    s.offer(node("b", "b1", "cpu", "12")); // b1 now again has 8 free, and cluster b has one pod
    assertThat(fit(s, pod("y", "cpu", "1")).node().cluster()).isEqualTo("a");
  }

  @Test
  void offersReplaceTheSnapshotAndReservationsSurviveIt() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "n", "cpu", "8"));
    place(e, pod("p", "cpu", "6"));
    e.offer(node("a", "n", "cpu", "7"));
    assertThat(e.freeOf(new NodeKey("a", "n")).cpuMillis()).isEqualTo(1000);
    e.offer(node("a", "n", "cpu", "4"));
    assertThat(e.freeOf(new NodeKey("a", "n")).cpuMillis()).isZero();
    assertThat(e.decide(pod("q", "cpu", "100m"))).isInstanceOf(PlacementEngine.Refusal.class);
    e.withdraw(new NodeKey("a", "n"));
    assertThat(refusal(e, pod("q", "cpu", "1")))
        .isEqualTo("no member node lends capacity right now; the pod waits until an offer arrives");
  }

  @Test
  void excludedNodesAreSkipped() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "n1", "cpu", "4"));
    e.offer(node("a", "n2", "cpu", "8"));
    PodRequest p =
        new PodRequest(
            "p",
            "",
            "",
            WorkloadClass.NEAR_LINE,
            Resources.of("cpu", "2"),
            Map.of(),
            List.of(),
            List.of(),
            0,
            Set.of(new NodeKey("a", "n1")));
    assertThat(fit(e, p).node().node()).isEqualTo("n2");
  }

  @Test
  void podSlotsLimitPlacement() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "n", "cpu", "8", "pods", "2"));
    place(e, pod("p1", "cpu", "1"));
    place(e, pod("p2", "cpu", "1"));
    assertThat(e.decide(pod("p3", "cpu", "1"))).isInstanceOf(PlacementEngine.Refusal.class);
    assertThat(e.estimate(pod("s", "cpu", "1"))).isEmpty();
  }

  @Test
  void colocationBatchResourcesServeCpuAndMemoryRequests() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(
        node(
            "a",
            "c",
            CapacitySource.COLOCATION,
            "kubernetes.io/batch-cpu",
            "4000",
            "kubernetes.io/batch-memory",
            "8Gi"));
    assertThat(fit(e, pod("p", "cpu", "3", "memory", "4Gi")).source())
        .isEqualTo(CapacitySource.COLOCATION);
  }

  @Test
  void estimateCountsPodsNodeByNodeCappedByPodSlots() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "n1", "cpu", "10", "memory", "4Gi", "pods", "100")); // min(10/2, 4/1) = 4
    e.offer(node("a", "n2", "cpu", "9", "memory", "100Gi", "pods", "3")); // min(4, 100, 3) = 3
    e.offer(node("b", "n3", "cpu", "1", "memory", "100Gi")); // 0
    Map<String, Long> est = e.estimate(pod("s", "cpu", "2", "memory", "1Gi"));
    assertThat(est).containsExactly(Map.entry("a", 7L));
    // aggregate would say 20 cpu / 2 = 10 pods
    e.offer(
        new NodeOffer(
            new NodeKey("c", "g"),
            CapacitySource.IDLE,
            Resources.of("cpu", "64", "nvidia.com/gpu", "2"),
            Map.of(),
            List.of(),
            0,
            "",
            List.of(1000, 300),
            0));
    assertThat(e.estimate(pod("s", "cpu", "1").withGpuMilli(250))).containsEntry("c", 5L);
    assertThat(e.estimate(pod("s", "cpu", "1", "nvidia.com/gpu", "1")))
        .containsExactly(Map.entry("c", 1L));
  }

  @Test
  void aNewPolicyAppliesItsMarginsToOffersAlreadyMadeAndKeepsReservations() {
    PlacementEngine e =
        new PlacementEngine(PlacementPolicy.defaults().withMargin(CapacitySource.IDLE, 10));
    e.offer(node("a", "n1", "cpu", "10", "memory", "10Gi"));
    Placement p = place(e, pod("p", "cpu", "2"));
    assertThat(e.largestFree(WorkloadClass.NEAR_LINE).cpuMillis()).isEqualTo(7000);

    e.policy(e.policy().withMargin(CapacitySource.IDLE, 50));

    assertThat(e.policy().margin(CapacitySource.IDLE)).isEqualTo(50);
    assertThat(e.largestFree(WorkloadClass.NEAR_LINE).cpuMillis()).isEqualTo(3000);
    assertThat(e.decide(pod("q", "cpu", "4"))).isInstanceOf(PlacementEngine.Refusal.class);
    e.release(p);
    assertThat(e.largestFree(WorkloadClass.NEAR_LINE).cpuMillis()).isEqualTo(5000);
  }

  @Test
  void largestFreeAndTotalsReportPerClusterAndSource() {
    PlacementEngine e = new PlacementEngine(PlacementPolicy.defaults());
    e.offer(node("a", "n1", "cpu", "10", "memory", "10Gi"));
    e.offer(node("b", "n2", CapacitySource.VOLCANO, "cpu", "20", "memory", "10Gi"));
    Placement p = place(e, pod("p", "cpu", "2"));
    e.confirm(p);
    // volcano's margin is 10 %
    assertThat(e.largestFree(WorkloadClass.NEAR_LINE).cpuMillis()).isEqualTo(18000);
    List<PlacementEngine.Totals> totals = e.totals();
    assertThat(totals).extracting(PlacementEngine.Totals::cluster).containsExactly("a", "b");
    assertThat(totals.get(0).offered().cpuMillis()).isEqualTo(10000);
    assertThat(totals.get(0).placed().cpuMillis()).isEqualTo(2000);
    assertThat(totals.get(0).free().cpuMillis()).isEqualTo(7000);
  }

  @Test
  void aPodLargerThanOneJustRefusedIsRefusedWithAnExactMessageUntilCapacityGrows() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "n1", "cpu", "4", "memory", "4Gi"));
    Placement p = place(e, pod("p", "cpu", "2", "memory", "1Gi"));
    assertThat(refusal(e, pod("big", "cpu", "3")))
        .isEqualTo("largest free node offers 2 CPU, pod requests 3 CPU");
    assertThat(refusal(e, pod("bigger", "cpu", "5", "memory", "1Gi")))
        .isEqualTo("largest free node offers 2 CPU, pod requests 5 CPU");
    e.release(p);
    assertThat(fit(e, pod("big", "cpu", "3")).node().node()).isEqualTo("n1");
  }

  /**
   * Random federations: the index finds a fit exactly when a brute-force scan does, with the same
   * leftover.
   */
  @Test
  void agreesWithABruteForceScanOnRandomFederations() {
    Random rnd = new Random(7);
    PlacementPolicy policy =
        new PlacementPolicy(
            Map.of(CapacitySource.IDLE, 10),
            0,
            PlacementPolicy.defaults().nearLineOrder(),
            PlacementPolicy.defaults().offlineOrder(),
            Integer.MAX_VALUE);
    for (int round = 0; round < 20; round++) {
      PlacementEngine e = new PlacementEngine(policy);
      List<NodeOffer> nodes = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        NodeOffer o =
            node(
                "c" + (i % 7),
                "n" + i,
                "cpu",
                (1 + rnd.nextInt(64)) + "",
                "memory",
                (1 + rnd.nextInt(256)) + "Gi",
                "pods",
                (1 + rnd.nextInt(20)) + "");
        nodes.add(o);
        e.offer(o);
      }
      long[] usedCpu = new long[nodes.size()];
      long[] usedMem = new long[nodes.size()];
      long[] usedPods = new long[nodes.size()];
      for (int k = 0; k < 300; k++) {
        PodRequest p =
            pod(
                "p" + round + "-" + k,
                "cpu",
                (100 + rnd.nextInt(16000)) + "m",
                "memory",
                (64 + rnd.nextInt(64 * 1024)) + "Mi");
        // brute force: feasible set and the least leftover on the engine's key dimension
        long bestCpuLeft = Long.MAX_VALUE;
        long bestMemLeft = Long.MAX_VALUE;
        for (int i = 0; i < nodes.size(); i++) {
          long capCpu = nodes.get(i).usable().cpuMillis() * 90 / 100;
          long capMem = nodes.get(i).usable().memoryBytes() * 90 / 100;
          long freeCpu = capCpu - usedCpu[i];
          long freeMem = capMem - usedMem[i];
          boolean fits =
              freeCpu >= p.requests().cpuMillis()
                  && freeMem >= p.requests().memoryBytes()
                  && nodes.get(i).usable().pods() - usedPods[i] >= 1;
          if (fits) {
            bestCpuLeft = Math.min(bestCpuLeft, freeCpu - p.requests().cpuMillis());
            bestMemLeft = Math.min(bestMemLeft, freeMem - p.requests().memoryBytes());
          }
        }
        PlacementEngine.Decision d = e.decide(p);
        if (bestCpuLeft == Long.MAX_VALUE) {
          assertThat(d).as("pod %s", p).isInstanceOf(PlacementEngine.Refusal.class);
          continue;
        }
        assertThat(d).as("pod %s", p).isInstanceOf(PlacementEngine.Fit.class);
        int i = Integer.parseInt(((PlacementEngine.Fit) d).node().node().substring(1));
        long cpuLeft =
            nodes.get(i).usable().cpuMillis() * 90 / 100 - usedCpu[i] - p.requests().cpuMillis();
        long memLeft =
            nodes.get(i).usable().memoryBytes() * 90 / 100
                - usedMem[i]
                - p.requests().memoryBytes();
        assertThat(cpuLeft == bestCpuLeft || memLeft == bestMemLeft)
            .as(
                "best fit on cpu (%d vs %d) or memory (%d vs %d)",
                cpuLeft, bestCpuLeft, memLeft, bestMemLeft)
            .isTrue();
        usedCpu[i] += p.requests().cpuMillis();
        usedMem[i] += p.requests().memoryBytes();
        usedPods[i]++;
        e.reserve(
            new Placement(
                p.podUid(),
                "",
                "",
                ((PlacementEngine.Fit) d).node(),
                CapacitySource.IDLE,
                p.workloadClass(),
                p.requests(),
                List.of(),
                0,
                0,
                false));
      }
    }
  }

  private static NoFit noFit(PlacementEngine e, PodRequest p) {
    PlacementEngine.Decision d = e.decide(p);
    assertThat(d).as("decision for %s", p.podUid()).isInstanceOf(PlacementEngine.Refusal.class);
    return ((PlacementEngine.Refusal) d).noFit();
  }

  private static NodeOffer sized(String name, CapacitySource src, String free, String alloc) {
    return node("a", name, src, "cpu", free, "memory", "16Gi")
        .withAllocatable(Resources.of("cpu", alloc, "memory", "64Gi", "pods", "110"));
  }

  @Test
  void aPodLargerThanEveryNodesAllocatableIsRefusedForGood() {
    PlacementEngine e = new PlacementEngine(PlacementPolicy.defaults());
    e.offer(sized("n1", CapacitySource.IDLE, "4", "16"));
    e.offer(sized("n2", CapacitySource.VOLCANO, "2", "8"));
    NoFit huge = noFit(e, pod("huge", "cpu", "5000"));
    assertThat(huge.never()).isNotNull();
    assertThat(huge.never().resource()).isEqualTo("cpu");
    // the idle margin (10%) is never lent: 16 CPU allocatable hold at most 14400m
    assertThat(huge.message())
        .isEqualTo(
            "no member node has enough resource: cpu, requested: 5000,"
                + " largest member node: 14400m (a/n1)");
    assertThat(noFit(e, pod("over-margin", "cpu", "15")).never()).isNotNull();
    NoFit fpga = noFit(e, pod("fpga", "cpu", "1", "example.com/fpga", "1"));
    assertThat(fpga.never().resource()).isEqualTo("example.com/fpga");
    assertThat(fpga.message()).startsWith("no member node has resource example.com/fpga");
  }

  @Test
  void aPodThatFitsSomeNodesAllocatableOnlyWaits() {
    PlacementEngine e = new PlacementEngine(PlacementPolicy.defaults());
    e.offer(sized("n1", CapacitySource.IDLE, "4", "16"));
    NoFit later = noFit(e, pod("later", "cpu", "12"));
    assertThat(later.never()).isNull();
    assertThat(later.message())
        .isEqualTo("largest free node offers 3600m CPU, pod requests 12 CPU");
    // the same answer through the refused-shapes cache
    assertThat(noFit(e, pod("later2", "cpu", "13")).never()).isNull();
    assertThat(noFit(e, pod("never2", "cpu", "15")).never()).isNotNull();
  }

  @Test
  void aNodeWithoutReportedAllocatableCouldHoldAnything() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(sized("n1", CapacitySource.IDLE, "4", "16"));
    e.offer(node("a", "unreported", "cpu", "2", "memory", "2Gi"));
    assertThat(noFit(e, pod("huge", "cpu", "5000")).never()).isNull();
    assertThat(noFit(e, pod("fpga", "example.com/fpga", "1")).never()).isNull();
  }

  @Test
  void withdrawnNodesStillCountAndANewAllocatableIsSeen() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(sized("n1", CapacitySource.IDLE, "4", "16"));
    e.offer(sized("n2", CapacitySource.IDLE, "4", "32"));
    e.withdraw(new NodeKey("a", "n2"));
    // 20 CPU fits n2 once it is lent again
    assertThat(noFit(e, pod("p", "cpu", "20")).never()).isNull();
    e.offer(sized("n2", CapacitySource.IDLE, "4", "8"));
    NoFit now = noFit(e, pod("p", "cpu", "20"));
    assertThat(now.never()).isNotNull();
    assertThat(now.never().largestNode()).isEqualTo("a/n1");
    e.withdraw(new NodeKey("a", "n1"));
    e.withdraw(new NodeKey("a", "n2"));
    assertThat(noFit(e, pod("q", "cpu", "20")).never()).isNotNull();
  }

  @Test
  void eachNodeIsJudgedAsAWhole() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(
        node("a", "cpu", "cpu", "2").withAllocatable(Resources.of("cpu", "16", "memory", "64Gi")));
    e.offer(
        node("a", "gpu", "cpu", "2", "nvidia.com/gpu", "4")
            .withAllocatable(Resources.of("cpu", "8", "memory", "64Gi", "nvidia.com/gpu", "4")));
    NoFit n = noFit(e, pod("p", "cpu", "12", "nvidia.com/gpu", "2"));
    assertThat(n.never()).isNotNull();
    assertThat(noFit(e, pod("q", "cpu", "6", "nvidia.com/gpu", "2")).never()).isNull();
  }
}
