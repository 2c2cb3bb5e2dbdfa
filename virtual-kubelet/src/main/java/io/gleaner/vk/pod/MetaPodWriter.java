package io.gleaner.vk.pod;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.vk.translate.NodeFailureTolerations;
import java.net.HttpURLConnection;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pod controller's writes to metadata pods other than deleting them: the status (the
 * virtual-kubelet is its only writer) and the node-failure tolerations.
 */
final class MetaPodWriter {
  private static final Logger log = LoggerFactory.getLogger(MetaPodWriter.class);

  /** Status fields a merge patch must clear when the desired status lacks them. */
  static final List<String> CLEARED_STATUS_FIELDS =
      List.of(
          "reason",
          "message",
          "podIP",
          "podIPs",
          "hostIP",
          "hostIPs",
          "nominatedNodeName",
          "containerStatuses",
          "initContainerStatuses",
          "ephemeralContainerStatuses");

  private final KubernetesClient meta;
  private final VkMetrics metrics;

  MetaPodWriter(KubernetesClient meta, VkMetrics metrics) {
    this.meta = meta;
    this.metrics = metrics;
  }

  /**
   * Writes the status through pods/status when it differs; VK is the only writer of metadata pod
   * status.
   */
  void writeStatus(Pod pod, PodStatus desired) {
    if (desired.equals(pod.getStatus())) {
      return;
    }
    try {
      // patching through resource(pod), not withName(): fabric8 GETs the object first when it has
      // no item
      meta.pods()
          .inNamespace(pod.getMetadata().getNamespace())
          .resource(pod)
          .subresource("status")
          .patch(PatchContext.of(PatchType.JSON_MERGE), statusPatch(desired));
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        return;
      }
      metrics.error("metadata", "patch_status");
      throw e;
    }
  }

  /**
   * The JSON merge patch that sets the status to {@code desired}: a field of {@link
   * #CLEARED_STATUS_FIELDS} it lacks is set to null, so the patch removes what the member no longer
   * reports.
   */
  static String statusPatch(PodStatus desired) {
    ObjectNode status = Serialization.jsonMapper().valueToTree(desired);
    for (String k : CLEARED_STATUS_FIELDS) {
      if (!status.has(k)) {
        status.putNull(k);
      }
    }
    return Serialization.jsonMapper().createObjectNode().set("status", status).toString();
  }

  /**
   * Lets the pod outlive a virtual node that stops heartbeating (see {@link
   * NodeFailureTolerations}). Best effort: a refusal is counted and logged, and the pod is placed
   * anyway.
   */
  void tolerateNodeFailures(Pod pod) {
    Optional<List<Toleration>> wanted =
        NodeFailureTolerations.missing(pod.getSpec().getTolerations());
    if (wanted.isEmpty()) {
      return;
    }
    ObjectNode patch = Serialization.jsonMapper().createObjectNode();
    // the resourceVersion makes it a compare-and-set: tolerations someone else just changed are
    // never lost
    patch.putObject("metadata").put("resourceVersion", pod.getMetadata().getResourceVersion());
    patch
        .putObject("spec")
        .set("tolerations", Serialization.jsonMapper().valueToTree(wanted.get()));
    try {
      meta.pods()
          .inNamespace(pod.getMetadata().getNamespace())
          .resource(pod)
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
      metrics.sync("tolerations_added");
    } catch (KubernetesClientException e) {
      metrics.error("metadata", "patch_tolerations");
      log.warn(
          "could not add the not-ready/unreachable tolerations (the pod may be evicted if the virtual node "
              + "stops heartbeating): {}",
          e.getMessage());
    }
  }
}
