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
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pod controller's writes to metadata pods other than deleting them: the status and the
 * node-failure tolerations.
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

  /** As client-go's {@code retry.DefaultRetry}: five tries, then the caller's queue retries. */
  static final int CONFLICT_ATTEMPTS = 5;

  private final KubernetesClient meta;
  private final VkMetrics metrics;

  MetaPodWriter(KubernetesClient meta, VkMetrics metrics) {
    this.meta = meta;
    this.metrics = metrics;
  }

  /**
   * Writes, through pods/status, the status {@code change} makes of the pod's current one, when it
   * differs. {@code pod} is usually the informer's copy, which can lag the server by a write made
   * just before (this controller's own, from another of its threads, or another writer's condition
   * such as {@code DisruptionTarget}): the write carries the copy's resourceVersion, and on a
   * conflict the pod is read again and {@code change} applied to what the server holds, as
   * client-go's {@code RetryOnConflict} does, so nothing written meanwhile is undone. A pod that
   * reached Succeeded or Failed is never moved back to a running phase, and a pod deleted and
   * created again under the same name is not written.
   */
  void writeStatus(Pod pod, UnaryOperator<PodStatus> change) {
    Pod current = pod;
    for (int attempt = 1; ; attempt++) {
      PodStatus now = current.getStatus();
      PodStatus desired = change.apply(now);
      if (desired.equals(now) || leavesTerminalPhase(now, desired)) {
        return;
      }
      try {
        patchStatus(current, desired);
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
          return;
        }
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT || attempt == CONFLICT_ATTEMPTS) {
          metrics.error("metadata", "patch_status");
          throw e;
        }
      }
      current = reread(pod);
      if (current == null) {
        return;
      }
    }
  }

  private void patchStatus(Pod pod, PodStatus desired) {
    // patching through resource(pod), not withName(): fabric8 GETs the object first when it has
    // no item
    meta.pods()
        .inNamespace(pod.getMetadata().getNamespace())
        .resource(pod)
        .subresource("status")
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            statusPatch(desired, pod.getMetadata().getResourceVersion()));
  }

  /** The pod as the server holds it now; null when it is gone or is another pod of that name. */
  private Pod reread(Pod pod) {
    Pod fresh;
    try {
      fresh =
          meta.pods()
              .inNamespace(pod.getMetadata().getNamespace())
              .withName(pod.getMetadata().getName())
              .get();
    } catch (KubernetesClientException e) {
      metrics.error("metadata", "get_pod");
      throw e;
    }
    return fresh == null || !fresh.getMetadata().getUid().equals(pod.getMetadata().getUid())
        ? null
        : fresh;
  }

  private static boolean leavesTerminalPhase(PodStatus now, PodStatus desired) {
    return now != null
        && SyncHandler.isTerminal(now.getPhase())
        && !SyncHandler.isTerminal(desired.getPhase());
  }

  /**
   * The JSON merge patch that sets the status to {@code desired}: a field of {@link
   * #CLEARED_STATUS_FIELDS} it lacks is set to null, so the patch removes what the member no longer
   * reports; with a {@code resourceVersion}, the server refuses it (409) if the pod changed since.
   */
  static String statusPatch(PodStatus desired, String resourceVersion) {
    ObjectNode patch = Serialization.jsonMapper().createObjectNode();
    if (resourceVersion != null) {
      patch.putObject("metadata").put("resourceVersion", resourceVersion);
    }
    ObjectNode status = Serialization.jsonMapper().valueToTree(desired);
    for (String k : CLEARED_STATUS_FIELDS) {
      if (!status.has(k)) {
        status.putNull(k);
      }
    }
    return patch.set("status", status).toString();
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
