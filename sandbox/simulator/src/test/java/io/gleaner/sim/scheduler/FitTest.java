package io.gleaner.sim.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.meta.resources.Resources;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FitTest {
  static final ObjectMapper M = Serialization.jsonMapper();

  static PodInfo pod(String name, String cpu, String memory, int priority) {
    Pod p =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace("ns")
            .withUid(name)
            .withCreationTimestamp("2024-01-01T00:00:00Z")
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("c")
            .withImage("i")
            .withNewResources()
            .addToRequests("cpu", new Quantity(cpu))
            .addToRequests("memory", new Quantity(memory))
            .endResources()
            .endContainer()
            .withPriority(priority)
            .endSpec()
            .build();
    return PodInfo.of(p);
  }

  static NodeInfo node(String name, String cpu, String memory) {
    return new NodeInfo(
        new NodeBuilder()
            .withNewMetadata()
            .withName(name)
            .endMetadata()
            .withNewStatus()
            .addToAllocatable("cpu", new Quantity(cpu))
            .addToAllocatable("memory", new Quantity(memory))
            .addToAllocatable("pods", new Quantity("110"))
            .endStatus()
            .build());
  }

  @Test
  void requestsSumContainersTakeMaxOfInitContainersAndDefaultToLimits() {
    Pod p =
        new PodBuilder()
            .withNewMetadata()
            .withName("p")
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("a")
            .withImage("i")
            .withNewResources()
            .addToRequests("cpu", new Quantity("500m"))
            .endResources()
            .endContainer()
            .addNewContainer()
            .withName("b")
            .withImage("i")
            .withNewResources()
            .addToLimits("cpu", new Quantity("1"))
            .addToLimits("nvidia.com/gpu", new Quantity("2"))
            .endResources()
            .endContainer()
            .addNewInitContainer()
            .withName("init")
            .withImage("i")
            .withNewResources()
            .addToRequests("cpu", new Quantity("4"))
            .endResources()
            .endInitContainer()
            .endSpec()
            .build();
    Resources r = PodInfo.of(p).requests();
    assertThat(r.cpuMillis()).isEqualTo(4000);
    assertThat(r.gpus()).isEqualTo(2);
    assertThat(r.pods()).isEqualTo(1);
  }

  @Test
  void resourceShortagesAreNamedLikeKubeScheduler() {
    NodeInfo n = node("n", "2", "1Gi");
    Fit.Result r = Fit.check(pod("p", "3", "2Gi", 0), n, Resources.ZERO);
    assertThat(r.fits()).isFalse();
    assertThat(r.resolvable()).isTrue();
    assertThat(r.reasons()).containsExactlyInAnyOrder("Insufficient cpu", "Insufficient memory");
    assertThat(
            Fit.insufficient(
                Resources.of("pods", "1"), Resources.of("pods", "2"), Resources.of("pods", "2")))
        .containsExactly("Too many pods");
  }

  @Test
  void podsOnTheNodeAndReservationsCount() {
    NodeInfo n = node("n", "4", "8Gi");
    n.addPod(pod("a", "3", "1Gi", 0));
    assertThat(Fit.check(pod("p", "1", "1Gi", 0), n, Resources.ZERO).fits()).isTrue();
    assertThat(Fit.check(pod("p", "1", "1Gi", 0), n, Resources.of("cpu", "1")).fits()).isFalse();
    n.removePod("ns/a");
    assertThat(n.requested().cpuMillis()).isZero();
  }

  @Test
  void taintsComeBeforeAffinityAndAreNotResolvable() {
    NodeInfo tainted =
        new NodeInfo(
            new NodeBuilder()
                .withNewMetadata()
                .withName("t")
                .addToLabels("zone", "a")
                .endMetadata()
                .withNewSpec()
                .addNewTaint()
                .withKey("k")
                .withValue("v")
                .withEffect("NoSchedule")
                .endTaint()
                .addNewTaint()
                .withKey("soft")
                .withEffect("PreferNoSchedule")
                .endTaint()
                .endSpec()
                .withNewStatus()
                .addToAllocatable("cpu", new Quantity("1"))
                .endStatus()
                .build());
    Fit.Result r = Fit.check(pod("p", "2", "1Gi", 0), tainted, Resources.ZERO);
    assertThat(r.reasons()).containsExactly("node(s) had untolerated taint {k: v}");
    assertThat(r.resolvable()).isFalse();
  }

  @Test
  void unschedulableNodeIsReportedFirst() {
    NodeInfo cordoned =
        new NodeInfo(
            new NodeBuilder()
                .withNewMetadata()
                .withName("c")
                .endMetadata()
                .withNewSpec()
                .withUnschedulable(true)
                .endSpec()
                .withNewStatus()
                .addToAllocatable("cpu", new Quantity("8"))
                .endStatus()
                .build());
    assertThat(Fit.check(pod("p", "1", "1Gi", 0), cordoned, Resources.ZERO).reasons())
        .containsExactly("node(s) were unschedulable");
  }

  @Test
  void messageSortsCountedReasonsAsStringsAndAppendsPostFilter() {
    Map<String, Integer> h = new LinkedHashMap<>();
    h.put("Insufficient cpu", 3);
    h.put("node(s) had untolerated taint {k: v}", 2);
    assertThat(Fit.message(5, h, null))
        .isEqualTo(
            "0/5 nodes are available: 2 node(s) had untolerated taint {k: v}, 3 Insufficient cpu.");
    assertThat(
            Fit.message(
                5,
                h,
                Fit.preemptionMessage(
                    5, Map.of(Preemption.NOT_HELPFUL, 2, Preemption.NO_VICTIMS, 3))))
        .isEqualTo(
            "0/5 nodes are available: 2 node(s) had untolerated taint {k: v}, 3 Insufficient cpu. "
                + "preemption: 0/5 nodes are available: 2 Preemption is not helpful for scheduling, "
                + "3 No preemption victims found for incoming pod.");
    assertThat(Fit.message(0, Map.of(), null)).isEqualTo("no nodes available to schedule pods");
  }

  @Test
  void preemptionPicksTheNodeWithTheLowestPriorityVictimsAndReprievesWhatItCan() {
    NodeInfo a = node("a", "4", "16Gi");
    a.addPod(pod("a-mid", "2", "1Gi", 500));
    a.addPod(pod("a-low", "2", "1Gi", 10));
    NodeInfo b = node("b", "4", "16Gi");
    b.addPod(pod("b-low1", "1", "1Gi", 0));
    b.addPod(pod("b-low2", "1", "1Gi", 0));
    b.addPod(pod("b-high", "2", "1Gi", 2000));
    PodInfo preemptor = pod("online", "2", "1Gi", 1000);
    Preemption.Outcome o = Preemption.select(preemptor, List.of(a, b), n -> Resources.ZERO);
    assertThat(o.chosen().node().name()).isEqualTo("b");
    assertThat(o.chosen().victims())
        .extracting(PodInfo::name)
        .containsExactlyInAnyOrder("b-low1", "b-low2");

    NodeInfo c = node("c", "4", "16Gi");
    c.addPod(pod("c-low", "1", "1Gi", 0));
    c.addPod(pod("c-mid", "1", "1Gi", 100));
    c.addPod(pod("c-big", "1", "1Gi", 5000));
    Preemption.Outcome one =
        Preemption.select(pod("x", "2", "1Gi", 1000), List.of(c), n -> Resources.ZERO);
    assertThat(one.chosen().victims()).extracting(PodInfo::name).containsExactly("c-low");
  }

  @Test
  void preemptionReportsWhyNoNodeHelps() {
    NodeInfo full = node("full", "2", "4Gi");
    full.addPod(pod("high", "2", "1Gi", 5000));
    NodeInfo tainted =
        new NodeInfo(
            new NodeBuilder()
                .withNewMetadata()
                .withName("t")
                .endMetadata()
                .withNewSpec()
                .addNewTaint()
                .withKey("k")
                .withValue("v")
                .withEffect("NoSchedule")
                .endTaint()
                .endSpec()
                .withNewStatus()
                .addToAllocatable("cpu", new Quantity("8"))
                .endStatus()
                .build());
    Preemption.Outcome o =
        Preemption.select(pod("p", "1", "1Gi", 100), List.of(full, tainted), n -> Resources.ZERO);
    assertThat(o.chosen()).isNull();
    assertThat(o.histogram())
        .containsEntry(Preemption.NO_VICTIMS, 1)
        .containsEntry(Preemption.NOT_HELPFUL, 1);
  }

  @Test
  void tolerationsFromJsonAreHonoured() {
    Pod p =
        new PodBuilder()
            .withNewMetadata()
            .withName("p")
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("c")
            .withImage("i")
            .endContainer()
            .withTolerations(new TolerationBuilder().withOperator("Exists").build())
            .endSpec()
            .build();
    JsonNode json = M.valueToTree(p);
    NodeInfo tainted =
        new NodeInfo(
            new NodeBuilder()
                .withNewMetadata()
                .withName("t")
                .endMetadata()
                .withNewSpec()
                .addNewTaint()
                .withKey("k")
                .withValue("v")
                .withEffect("NoExecute")
                .endTaint()
                .endSpec()
                .withNewStatus()
                .addToAllocatable("cpu", new Quantity("8"))
                .addToAllocatable("pods", new Quantity("8"))
                .endStatus()
                .build());
    assertThat(Fit.check(PodInfo.of(json), tainted, Resources.ZERO).fits()).isTrue();
  }
}
