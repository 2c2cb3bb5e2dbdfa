package io.gleaner.broker.placement;

import static io.gleaner.broker.placement.Engines.NO_MARGINS;
import static io.gleaner.broker.placement.Engines.fit;
import static io.gleaner.broker.placement.Engines.node;
import static io.gleaner.broker.placement.Engines.place;
import static io.gleaner.broker.placement.Engines.pod;
import static io.gleaner.broker.placement.Engines.refusal;
import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The decision: which node a pod gets, and that state changes are seen. */
class PlacementEngineTest {
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
    // no fragmentation either way; g8 keeps its free cpu and GPU in proportion (FragmentationTerm)
    Placement p = place(e, pod("m", "cpu", "8", "nvidia.com/gpu", "2"));
    assertThat(p.node().node()).isEqualTo("g8");
    assertThat(p.gpuDevices()).containsExactly(0, 1);
    Placement q = place(e, pod("n", "cpu", "8", "nvidia.com/gpu", "4"));
    assertThat(q.node().node()).isEqualTo("g8");
    assertThat(q.gpuDevices()).containsExactly(2, 3, 4, 5);
    assertThat(e.freeOf(new NodeKey("a", "g8")).gpus()).isEqualTo(2);
    assertThat(e.freeOf(new NodeKey("a", "g2")).gpus()).isEqualTo(2);
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

  /** A new extended resource grows every per-member row, also of members beyond the first 16. */
  @Test
  void aResourceFirstOfferedAfterManyMembersJoinedIsTracked() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    for (int c = 0; c < 20; c++) {
      e.offer(node("c" + c, "n", "cpu", "4"));
    }
    e.offer(node("c19", "fpga", "cpu", "4", "example.com/fpga", "2"));
    assertThat(fit(e, pod("p", "cpu", "1", "example.com/fpga", "1")).node().node())
        .isEqualTo("fpga");
    assertThat(e.advertised(WorkloadClass.NEAR_LINE).get("example.com/fpga")).isEqualTo(2);
  }
}
