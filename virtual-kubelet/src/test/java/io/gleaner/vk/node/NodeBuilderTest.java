package io.gleaner.vk.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.gleaner.api.v1.Capacity;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeBuilderTest {
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
  private final NodeConfig config = NodeConfig.defaults().withKubeletPort(10250);

  private static Capacity capacity() {
    return Capacity.newBuilder()
        .putAllAdvertised(
            Map.of("cpu", "120", "memory", "480Gi", "nvidia.com/gpu", "8", "pods", "5000"))
        .putAllLargestShape(Map.of("cpu", "6", "memory", "24Gi", "nvidia.com/gpu", "2"))
        .setNodes(17)
        .setGeneratedAtMs(T0.toEpochMilli())
        .build();
  }

  private static NodeCondition cond(Node n, String type) {
    return n.getStatus().getConditions().stream()
        .filter(c -> c.getType().equals(type))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void identityLabelsTaintAndEndpoints() {
    Node n = NodeBuilder.build(config, capacity(), NodeHealth.healthy(), null, T0);
    assertThat(n.getMetadata().getName()).isEqualTo("gleaner");
    assertThat(n.getMetadata().getLabels())
        .containsEntry("type", "virtual-kubelet")
        .containsEntry("kubernetes.io/role", "agent")
        .containsEntry("kubernetes.io/hostname", "gleaner");
    assertThat(n.getSpec().getTaints())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.getKey()).isEqualTo("virtual-kubelet.io/provider");
              assertThat(t.getValue()).isEqualTo("gleaner");
              assertThat(t.getEffect()).isEqualTo("NoSchedule");
            });
    assertThat(n.getStatus().getAddresses())
        .anySatisfy(
            a -> {
              assertThat(a.getType()).isEqualTo("InternalIP");
              assertThat(a.getAddress()).isEqualTo("127.0.0.1");
            });
    assertThat(n.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort()).isEqualTo(10250);
    assertThat(n.getStatus().getNodeInfo().getKubeletVersion()).isEqualTo("v1.30.0-gleaner");
    assertThat(n.getStatus().getNodeInfo().getOperatingSystem()).isEqualTo("linux");
    assertThat(n.getStatus().getNodeInfo().getArchitecture()).isEqualTo("amd64");
  }

  @Test
  void capacityAndLargestShapeFromBroker() {
    Node n = NodeBuilder.build(config, capacity(), NodeHealth.healthy(), null, T0);
    assertThat(n.getStatus().getCapacity())
        .containsEntry("cpu", new Quantity("120"))
        .containsEntry("memory", new Quantity("480Gi"))
        .containsEntry("nvidia.com/gpu", new Quantity("8"))
        .containsEntry("pods", new Quantity("5000"));
    assertThat(n.getStatus().getAllocatable()).isEqualTo(n.getStatus().getCapacity());
    assertThat(n.getMetadata().getAnnotations())
        .containsEntry("gleaner.io/largest-shape-cpu", "6")
        .containsEntry("gleaner.io/largest-shape-memory", "24Gi")
        .containsEntry("gleaner.io/largest-shape-nvidia.com.gpu", "2")
        .containsEntry("gleaner.io/largest-shape", "cpu=6,memory=24Gi,nvidia.com/gpu=2")
        .containsEntry("gleaner.io/member-nodes", "17");
  }

  @Test
  void neverNegativeAndZeroWithoutBroker() {
    Capacity bad =
        Capacity.newBuilder()
            .putAdvertised("cpu", "-4")
            .putAdvertised("memory", "-1Gi")
            .setNodes(-3)
            .build();
    Node n = NodeBuilder.build(config, bad, NodeHealth.healthy(), null, T0);
    assertThat(n.getStatus().getCapacity())
        .containsEntry("cpu", new Quantity("0"))
        .containsEntry("memory", new Quantity("0"))
        .containsEntry("pods", new Quantity("20000"));
    assertThat(n.getMetadata().getAnnotations()).containsEntry("gleaner.io/member-nodes", "0");
    Node none =
        NodeBuilder.build(config, null, NodeHealth.brokerDown("connection refused"), null, T0);
    assertThat(none.getStatus().getCapacity()).containsEntry("cpu", new Quantity("0"));
  }

  @Test
  void readyFollowsBrokerHealthAndOtherConditionsAreFalse() {
    Node ready = NodeBuilder.build(config, capacity(), NodeHealth.healthy(), null, T0);
    assertThat(cond(ready, "Ready").getStatus()).isEqualTo("True");
    for (String t :
        new String[] {"MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable"}) {
      assertThat(cond(ready, t).getStatus()).isEqualTo("False");
    }
    Node down =
        NodeBuilder.build(
            config,
            capacity(),
            NodeHealth.brokerDown("deadline exceeded"),
            ready,
            T0.plusSeconds(30));
    assertThat(cond(down, "Ready").getStatus()).isEqualTo("False");
    assertThat(cond(down, "Ready").getReason()).isEqualTo("BrokerUnavailable");
    assertThat(cond(down, "Ready").getMessage()).contains("deadline exceeded");
    assertThat(cond(down, "Ready").getLastTransitionTime()).isEqualTo("2025-03-01T10:00:30Z");
  }

  @Test
  void transitionTimeKeptWhileStatusUnchangedHeartbeatAdvances() {
    Node first = NodeBuilder.build(config, capacity(), NodeHealth.healthy(), null, T0);
    Node second =
        NodeBuilder.build(config, capacity(), NodeHealth.healthy(), first, T0.plusSeconds(60));
    assertThat(cond(second, "Ready").getLastTransitionTime()).isEqualTo("2025-03-01T10:00:00Z");
    assertThat(cond(second, "Ready").getLastHeartbeatTime()).isEqualTo("2025-03-01T10:01:00Z");
  }

  @Test
  void resourceVersionOfExistingNodeIsCarried() {
    Node first = NodeBuilder.build(config, capacity(), NodeHealth.healthy(), null, T0);
    first.getMetadata().setResourceVersion("77");
    first.getMetadata().getAnnotations().put("other.io/keep", "x");
    Node second =
        NodeBuilder.build(config, Capacity.getDefaultInstance(), NodeHealth.healthy(), first, T0);
    assertThat(second.getMetadata().getResourceVersion()).isEqualTo("77");
    assertThat(second.getMetadata().getAnnotations())
        .containsEntry("other.io/keep", "x")
        .doesNotContainKey("gleaner.io/largest-shape-cpu");
  }

  @Test
  void configIsValidated() {
    assertThatThrownBy(() -> NodeConfig.defaults().withName("Bad_Name"))
        .hasMessageContaining("node.name");
    assertThatThrownBy(() -> NodeConfig.defaults().withKubeletPort(70000))
        .hasMessageContaining("node.kubeletPort");
  }

  @Test
  void memoryIsShownInWholeKibibytesRoundedDown() {
    io.gleaner.meta.resources.Resources r =
        io.gleaner.meta.resources.Resources.ZERO
            .with(io.gleaner.meta.resources.Resources.MEMORY, 6427840353162L)
            .with("ephemeral-storage", 2048L);
    io.gleaner.meta.resources.Resources shown = NodeBuilder.wholeKibibytes(r);
    assertThat(shown.format(io.gleaner.meta.resources.Resources.MEMORY)).isEqualTo("6277187844Ki");
    assertThat(shown.get("ephemeral-storage")).isEqualTo(2048L);
  }
}
