package io.gleaner.idle.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.NodeMetricsBuilder;
import io.gleaner.idle.offer.MemberNodeInfo;
import io.gleaner.idle.offer.MemberPodInfo;
import io.gleaner.idle.offer.PodGroupInfo;
import io.gleaner.idle.offer.Usage;
import io.gleaner.meta.kube.TaintEffect;
import io.gleaner.meta.resources.InvalidQuantityException;
import io.gleaner.meta.resources.Resources;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KubeModelTest {

  private static Node node(String readyStatus, boolean cordoned) {
    return new NodeBuilder()
        .withNewMetadata()
        .withName("n1")
        .withResourceVersion("4711")
        .withLabels(Map.of("topology.kubernetes.io/zone", "eu-1a", "gleaner.io/exclude", "true"))
        .withAnnotations(Map.of("gleaner.io/lent-at", "2024-01-01T00:10:00Z"))
        .endMetadata()
        .withNewSpec()
        .withUnschedulable(cordoned)
        .addNewTaint()
        .withKey("gpu")
        .withValue("true")
        .withEffect("NoSchedule")
        .endTaint()
        .endSpec()
        .withNewStatus()
        .addToCapacity("cpu", new Quantity("8"))
        .addToCapacity("memory", new Quantity("32Gi"))
        .addToAllocatable("cpu", new Quantity("7500m"))
        .addToAllocatable("memory", new Quantity("31Gi"))
        .addToAllocatable("pods", new Quantity("110"))
        .addNewCondition()
        .withType("MemoryPressure")
        .withStatus("False")
        .endCondition()
        .addNewCondition()
        .withType("Ready")
        .withStatus(readyStatus)
        .endCondition()
        .endStatus()
        .build();
  }

  @Test
  void nodeReadinessCordonZoneTaintsAndResources() {
    MemberNodeInfo n = KubeModel.node(node("True", false));
    assertThat(n.ready()).isTrue();
    assertThat(n.unschedulable()).isFalse();
    assertThat(n.zone()).isEqualTo("eu-1a");
    assertThat(n.taints())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.key()).isEqualTo("gpu");
              assertThat(t.effect()).isEqualTo(TaintEffect.NoSchedule);
            });
    assertThat(n.allocatable())
        .isEqualTo(Resources.of("cpu", "7500m", "memory", "31Gi", "pods", "110"));
    assertThat(n.capacity()).isEqualTo(Resources.of("cpu", "8", "memory", "32Gi"));
    assertThat(n.annotations()).containsKey("gleaner.io/lent-at");
    assertThat(n.resourceVersion()).isEqualTo("4711");
    assertThat(KubeModel.node(node("Unknown", true)).ready()).isFalse();
    assertThat(KubeModel.node(node("True", true)).unschedulable()).isTrue();
  }

  @Test
  void podEffectiveRequestsFollowTheSchedulersRules() {
    Pod p =
        new PodBuilder()
            .withNewMetadata()
            .withName("p")
            .withNamespace("ns")
            .withUid("u1")
            .endMetadata()
            .withNewSpec()
            .withNodeName("n1")
            .addNewInitContainer()
            .withName("init")
            .withNewResources()
            .addToRequests("cpu", new Quantity("3"))
            .endResources()
            .endInitContainer()
            .addNewInitContainer()
            .withName("sidecar")
            .withRestartPolicy("Always")
            .withNewResources()
            .addToRequests("cpu", new Quantity("100m"))
            .addToRequests("memory", new Quantity("64Mi"))
            .endResources()
            .endInitContainer()
            .addNewContainer()
            .withName("a")
            .withNewResources()
            .addToRequests("cpu", new Quantity("1"))
            .addToRequests("memory", new Quantity("1Gi"))
            .endResources()
            .endContainer()
            .addNewContainer()
            .withName("b")
            .withNewResources()
            .addToRequests("cpu", new Quantity("500m"))
            .endResources()
            .endContainer()
            .addToOverhead("cpu", new Quantity("50m"))
            .endSpec()
            .withNewStatus()
            .withPhase("Running")
            .endStatus()
            .build();
    // containers 1.5 CPU + sidecar 100m = 1.6; the plain init container (3) runs alone: max = 3; +
    // 50m overhead.
    assertThat(KubeModel.effectiveRequests(p))
        .isEqualTo(Resources.of("cpu", "3050m", "memory", "1088Mi", "pods", "1"));
    MemberPodInfo info = KubeModel.pod(p, "gleaner");
    assertThat(info.node()).isEqualTo("n1");
    assertThat(info.isOnlineLoad()).isTrue();
    assertThat(info.key()).isEqualTo("ns/p");
  }

  @Test
  void podKindsDaemonSetGleanerBatchTerminatedAndGang() {
    Pod ds =
        new PodBuilder()
            .withNewMetadata()
            .withName("ds")
            .withNamespace("kube-system")
            .addNewOwnerReference()
            .withKind("DaemonSet")
            .withName("agent")
            .endOwnerReference()
            .endMetadata()
            .withNewSpec()
            .withNodeName("n1")
            .endSpec()
            .build();
    assertThat(KubeModel.pod(ds, "gleaner").daemonSet()).isTrue();
    assertThat(KubeModel.pod(ds, "gleaner").holdsMemberResources()).isTrue();
    assertThat(KubeModel.pod(ds, "gleaner").isOnlineLoad()).isFalse();

    Pod lent =
        new PodBuilder()
            .withNewMetadata()
            .withName("g")
            .withNamespace("ns")
            .withLabels(Map.of("gleaner.io/managed", "true", "koordinator.sh/qosClass", "BE"))
            .withAnnotations(Map.of("scheduling.k8s.io/group-name", "gang"))
            .endMetadata()
            .withNewSpec()
            .withNodeName("n1")
            .endSpec()
            .withNewStatus()
            .withPhase("Succeeded")
            .endStatus()
            .build();
    MemberPodInfo g = KubeModel.pod(lent, "gleaner");
    assertThat(g.gleanerManaged()).isTrue();
    assertThat(g.batch()).isTrue();
    assertThat(g.terminated()).isTrue();
    assertThat(g.podGroup()).isEqualTo("gang");
    assertThat(g.holdsMemberResources()).isFalse();
  }

  @Test
  void anotherInstallationsPodIsLoadNotLentWork() {
    Pod theirs =
        new PodBuilder()
            .withNewMetadata()
            .withName("t")
            .withNamespace("ns")
            .withLabels(Map.of("gleaner.io/managed", "true", "gleaner.io/instance", "other"))
            .endMetadata()
            .withNewSpec()
            .withNodeName("n1")
            .endSpec()
            .build();
    MemberPodInfo asOther = KubeModel.pod(theirs, "other");
    assertThat(asOther.gleanerManaged()).isTrue();
    assertThat(asOther.isOnlineLoad()).isFalse();
    MemberPodInfo asUs = KubeModel.pod(theirs, "gleaner");
    assertThat(asUs.gleanerManaged()).isFalse();
    assertThat(asUs.holdsMemberResources()).isTrue();
    assertThat(asUs.isOnlineLoad()).isTrue();
  }

  @Test
  void aMalformedQuantityFailsThePodsRequestsNamingTheField() {
    Pod p =
        new PodBuilder()
            .withNewMetadata()
            .withName("bad")
            .withNamespace("ns")
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("c")
            .withNewResources()
            .addToRequests("cpu", new Quantity("lots"))
            .addToRequests("memory", new Quantity("1Gi"))
            .endResources()
            .endContainer()
            .endSpec()
            .build();
    // the watch then leaves the pod out and counts it (BadMemberPodsTest)
    assertThatThrownBy(() -> KubeModel.effectiveRequests(p))
        .isInstanceOf(InvalidQuantityException.class)
        .hasMessageContaining("container c requests.cpu");
  }

  @Test
  void podGroupFromAGenericResource() {
    GenericKubernetesResource g =
        new GenericKubernetesResourceBuilder()
            .withApiVersion("scheduling.volcano.sh/v1beta1")
            .withKind("PodGroup")
            .withNewMetadata()
            .withName("job")
            .withNamespace("ml")
            .withCreationTimestamp("2024-01-01T00:00:00Z")
            .endMetadata()
            .addToAdditionalProperties(
                "spec",
                Map.of(
                    "minMember",
                    4,
                    "priorityClassValue",
                    100,
                    "minResources",
                    Map.of("cpu", "16", "nvidia.com/gpu", "4", "memory", "oops")))
            .addToAdditionalProperties("status", Map.of("phase", "Inqueue"))
            .build();
    PodGroupInfo info = KubeModel.podGroup(g);
    assertThat(info.waiting()).isTrue();
    assertThat(info.minMember()).isEqualTo(4);
    assertThat(info.priority()).isEqualTo(100);
    assertThat(info.minResources()).isEqualTo(Resources.of("cpu", "16", "nvidia.com/gpu", "4"));
    assertThat(info.created()).isEqualTo(Instant.parse("2024-01-01T00:00:00Z"));
  }

  @Test
  void nodeMetricsBecomeUsageWithTheirTimestamp() {
    var m =
        new NodeMetricsBuilder()
            .withNewMetadata()
            .withName("n1")
            .endMetadata()
            .withTimestamp("2024-01-01T00:00:30Z")
            .withUsage(Map.of("cpu", new Quantity("250m"), "memory", new Quantity("1Gi")))
            .build();
    assertThat(KubeModel.usage(m))
        .contains(new Usage(250, 1L << 30, Instant.parse("2024-01-01T00:00:30Z")));
    assertThat(KubeModel.parseTime("not a time")).isEmpty();
    assertThat(KubeModel.parseTime("2024-01-01T01:00:00+01:00"))
        .contains(Instant.parse("2024-01-01T00:00:00Z"));
  }

  @Test
  void nodeMetricsKeepTheirWindow() {
    var m =
        new NodeMetricsBuilder()
            .withNewMetadata()
            .withName("n1")
            .endMetadata()
            .withTimestamp("2024-01-01T00:00:30Z")
            .withWindow(new io.fabric8.kubernetes.api.model.Duration(Duration.ofMillis(20_029)))
            .withUsage(Map.of("cpu", new Quantity("1"), "memory", new Quantity("1Gi")))
            .build();
    assertThat(KubeModel.usage(m).orElseThrow().window()).isEqualTo(Duration.ofMillis(20_029));
  }
}
