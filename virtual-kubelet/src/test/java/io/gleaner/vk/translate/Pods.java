package io.gleaner.vk.translate;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.gleaner.api.v1.NodeRef;
import io.gleaner.api.v1.Placement;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.api.v1.WorkloadClass;
import io.gleaner.meta.kube.GleanerKeys;
import java.util.Map;

/** Small fixtures for metadata pods and placements. */
final class Pods {
  private Pods() {}

  static PodBuilder meta(String name) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("team-a")
        .withUid("uid-" + name)
        .addToLabels("app", "train")
        .addToLabels(GleanerKeys.CLASS, "near-line")
        .addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{}")
        .addToAnnotations("team", "a")
        .withResourceVersion("42")
        .endMetadata()
        .withNewSpec()
        .withNodeName("gleaner")
        .withServiceAccountName("builder")
        .withSchedulerName("default-scheduler")
        .withPriority(0)
        .addToNodeSelector("type", "virtual-kubelet")
        .addToNodeSelector("disk", "ssd")
        .addNewToleration()
        .withKey("virtual-kubelet.io/provider")
        .withOperator("Exists")
        .endToleration()
        .addNewToleration()
        .withKey("gpu")
        .withOperator("Exists")
        .withEffect("NoSchedule")
        .endToleration()
        .addNewToleration()
        .withKey("node.kubernetes.io/unreachable")
        .withOperator("Exists")
        .withEffect("NoExecute")
        .endToleration()
        .addNewContainer()
        .withName("main")
        .withImage("busybox")
        .withNewResources()
        .withRequests(Map.of("cpu", new Quantity("500m"), "memory", new Quantity("1Gi")))
        .withLimits(Map.of("cpu", new Quantity("1"), "memory", new Quantity("2Gi")))
        .endResources()
        .addNewVolumeMount()
        .withName("kube-api-access-abcde")
        .withMountPath("/var/run/secrets/x")
        .endVolumeMount()
        .addNewVolumeMount()
        .withName("conf")
        .withMountPath("/etc/conf")
        .endVolumeMount()
        .addNewEnv()
        .withName("POD_NAME")
        .withNewValueFrom()
        .withNewFieldRef()
        .withFieldPath("metadata.name")
        .endFieldRef()
        .endValueFrom()
        .endEnv()
        .endContainer()
        .addNewVolume()
        .withName("kube-api-access-abcde")
        .withNewProjected()
        .addNewSource()
        .withNewServiceAccountToken()
        .withPath("token")
        .withExpirationSeconds(3607L)
        .endServiceAccountToken()
        .endSource()
        .endProjected()
        .endVolume()
        .addNewVolume()
        .withName("conf")
        .withNewConfigMap()
        .withName("app-conf")
        .endConfigMap()
        .endVolume()
        .endSpec();
  }

  static Placement placement(String cluster, String node, SourceKind source, WorkloadClass cls) {
    return Placement.newBuilder()
        .setPodUid("uid")
        .setNode(NodeRef.newBuilder().setCluster(cluster).setNode(node))
        .setSource(source)
        .setWorkloadClass(cls)
        .build();
  }
}
