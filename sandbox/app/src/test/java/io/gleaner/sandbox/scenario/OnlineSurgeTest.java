package io.gleaner.sandbox.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OnlineSurgeTest {

  @Test
  void onACpuNodeTheSurgeNeedsMoreThanEvictingEveryPodButTheGangFrees() {
    Node node = node("online-1-node-3", Map.of("cpu", "16", "memory", "64Gi"));
    List<Pod> onNode =
        List.of(
            gangPod("w0", "ml-batch/train-2", "cpu", "2"),
            gangPod("w1", "ml-batch/train-2", "cpu", "2"),
            gleanerPod("single", "cpu", "4"),
            onlinePod("web-1", "3"),
            finished(onlinePod("web-0", "8")));
    OnlineSurge.Surge s = OnlineSurge.surgeFor("ml-batch/train-2", "online-1", node, onNode);
    // 16 - 3 (online) - 4 (the gang) + 0.5: evicting the single pod alone frees 9 cores, not 9.5
    assertThat(s)
        .isEqualTo(
            new OnlineSurge.Surge(
                "ml-batch/train-2", "online-1", "online-1-node-3", false, 9_500, 0));
    assertThat(s.podName()).isEqualTo("surge-train-2");
    long freedWithoutGang = 16_000 - 3_000 - 4_000;
    assertThat(s.cpuRequestMillis()).isGreaterThan(freedWithoutGang);
    assertThat(s.cpuRequestMillis()).isLessThanOrEqualTo(16_000 - 3_000);
  }

  @Test
  void onACoLocationNodeTheSurgeUsesTheNodesWholeBatchCpu() {
    Node node =
        node(
            "coloc-1-node-0",
            Map.of("cpu", "32", "memory", "128Gi", "kubernetes.io/batch-cpu", "11200"));
    List<Pod> onNode =
        List.of(
            gangPod("w0", "ml-batch/train-3", "kubernetes.io/batch-cpu", "2000"),
            onlinePod("web-1", "20"));
    OnlineSurge.Surge s = OnlineSurge.surgeFor("ml-batch/train-3", "coloc-1", node, onNode);
    assertThat(s)
        .isEqualTo(
            new OnlineSurge.Surge(
                "ml-batch/train-3", "coloc-1", "coloc-1-node-0", true, 1_000, 11_200));
  }

  @Test
  void noSurgeWhereTheMembersOwnPodsLeaveNoRoom() {
    Node node = node("online-1-node-3", Map.of("cpu", "16", "memory", "64Gi"));
    List<Pod> onNode =
        List.of(gangPod("w0", "ml-batch/train-2", "cpu", "2"), onlinePod("web-1", "16"));
    assertThat(OnlineSurge.surgeFor("ml-batch/train-2", "online-1", node, onNode)).isNull();
  }

  @Test
  void aGangRunsWholeWhenAllThePodsPlacedTogetherRunInOneMember() {
    var whole = gp("ml-batch/train-1", "train-1", "n0", true);
    var partly = gp("ml-batch/train-2", "online-1", "n1", true);
    var starting = gp("ml-batch/train-3", "online-2", "n2", false);
    List<OnlineSurge.GangPod> pods =
        List.of(
            whole,
            whole,
            gp("ml-batch/train-1", "train-1", "n1", true),
            partly,
            partly,
            starting,
            starting,
            gp("ml-batch/train-3", "online-2", "n2", true));
    assertThat(OnlineSurge.runningWhole(pods)).containsExactly("ml-batch/train-1");
    assertThat(OnlineSurge.busiestNode(pods.subList(0, 3))).isEqualTo("n0");
  }

  private static OnlineSurge.GangPod gp(String gang, String cluster, String node, boolean running) {
    return new OnlineSurge.GangPod(gang, 3, cluster, node, running, 2000, 0);
  }

  private static Node node(String name, Map<String, String> allocatable) {
    Map<String, Quantity> q = new HashMap<>();
    allocatable.forEach((k, v) -> q.put(k, new Quantity(v)));
    return new NodeBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewStatus()
        .withAllocatable(q)
        .endStatus()
        .build();
  }

  private static Pod gangPod(String name, String gang, String resource, String amount) {
    Pod p = gleanerPod(name, resource, amount);
    p.getMetadata().setAnnotations(Map.of("gleaner.io/gang", gang, "gleaner.io/gang-members", "3"));
    return p;
  }

  private static Pod gleanerPod(String name, String resource, String amount) {
    return pod(name, Map.of("gleaner.io/managed", "true"), resource, amount);
  }

  private static Pod onlinePod(String name, String cpu) {
    return pod(name, Map.of("app", "web"), "cpu", cpu);
  }

  private static Pod finished(Pod p) {
    p.getStatus().setPhase("Succeeded");
    return p;
  }

  private static Pod pod(String name, Map<String, String> labels, String resource, String amount) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withLabels(new HashMap<>(labels))
        .endMetadata()
        .withNewSpec()
        .withNodeName("n")
        .addNewContainer()
        .withName("c")
        .withNewResources()
        .addToRequests(resource, new Quantity(amount))
        .endResources()
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .endStatus()
        .build();
  }
}
