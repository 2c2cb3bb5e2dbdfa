package io.gleaner.sandbox.invariants;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.gleaner.sim.scheduler.PodInfo;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GleanerRoomTest {
  private static Node node(String name, String cpu) {
    return new NodeBuilder()
        .withNewMetadata()
        .withName(name)
        .withLabels(Map.of("kubernetes.io/hostname", name))
        .endMetadata()
        .withNewStatus()
        .addToAllocatable("cpu", new Quantity(cpu))
        .addToAllocatable("memory", new Quantity("64Gi"))
        .addToAllocatable("pods", new Quantity("110"))
        .endStatus()
        .build();
  }

  private static Pod pod(String namespace, String name, String node, String cpu) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .withUid(name)
        .endMetadata()
        .withNewSpec()
        .withNodeName(node)
        .addNewContainer()
        .withName("main")
        .withImage("busybox")
        .withNewResources()
        .addToRequests("cpu", new Quantity(cpu))
        .endResources()
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase(node == null ? "Pending" : "Running")
        .endStatus()
        .build();
  }

  @Test
  void gleanerBlocksANodeOnlyWhereItsPodsMakeTheDifference() {
    GleanerRoom room = new GleanerRoom(List.of(node("n1", "8"), node("n2", "8"), node("n3", "8")));
    room.add(PodInfo.of(pod("gleaner-a", "g1", "n1", "6")), true); // Gleaner's room on n1
    room.add(PodInfo.of(pod("shop", "web-1", "n2", "6")), false); // online work fills n2
    room.add(PodInfo.of(pod("gleaner-a", "g2", "n2", "1")), true);
    room.add(PodInfo.of(pod("shop", "web-2", "n3", "7")), false);

    // 4 CPU fit on n1 without Gleaner's pod only; on n2 not even without (6 online of 8)
    assertThat(room.nodesGleanerBlocks(PodInfo.of(pod("shop", "web-3", null, "4"))))
        .containsExactly("n1");
    // 9 CPU fit nowhere, Gleaner or not: no reclaim could help it
    assertThat(room.nodesGleanerBlocks(PodInfo.of(pod("shop", "web-4", null, "9")))).isEmpty();
    // 1 CPU fits as things are: nothing blocks it
    assertThat(room.nodesGleanerBlocks(PodInfo.of(pod("shop", "web-5", null, "1")))).isEmpty();
  }

  @Test
  void aScaleUpPlaceholderIsNeverOnlineWork() {
    assertThat(GleanerRoom.isScaleUpPlaceholder(pod("gleaner-scale-up", "scale-up-1", null, "8")))
        .isTrue();
    Pod labelled = pod("elsewhere", "p", null, "8");
    labelled.getMetadata().setLabels(Map.of("gleaner.io/scale-up", "prod"));
    assertThat(GleanerRoom.isScaleUpPlaceholder(labelled)).isTrue();
    assertThat(GleanerRoom.isScaleUpPlaceholder(pod("shop", "web-1", null, "8"))).isFalse();
  }
}
