package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code pods/log}: the generated log of a pod on a simulated node ({@link ServerExtensions#logs},
 * with {@code tailLines}, {@code timestamps}, {@code sinceSeconds}, {@code limitBytes}), or the
 * kubelet's answer for a pod on a node the simulator does not run ({@link KubeletProxy}). 400 while
 * the container waits to start.
 */
final class PodLogs {
  private final ObjectStore store;
  private final ServerExtensions extensions;
  private final KubeletProxy kubelets;

  PodLogs(ObjectStore store, ServerExtensions extensions, KubeletProxy kubelets) {
    this.store = store;
    this.extensions = extensions;
    this.kubelets = kubelets;
  }

  /** Answers {@code GET pods/log} of pod {@code namespace/name}. */
  void serve(HttpServerRequest req, String namespace, String name) {
    if (req.method() != HttpMethod.GET) {
      throw HttpJson.methodNotAllowed();
    }
    ObjectNode pod = store.require(ResourceTypes.PODS, namespace, name);
    MultiMap q = req.params();
    String container = container(pod, name, q.get("container"));
    ServerExtensions.LogOptions opts =
        new ServerExtensions.LogOptions(
            q.get("tailLines") == null ? null : Integer.valueOf(q.get("tailLines")),
            HttpJson.isTrue(q.get("timestamps")),
            q.get("sinceSeconds") == null ? null : Long.valueOf(q.get("sinceSeconds")),
            HttpJson.isTrue(q.get("follow")),
            HttpJson.isTrue(q.get("previous")),
            q.get("limitBytes") == null ? null : Long.valueOf(q.get("limitBytes")));
    String nodeName = pod.path("spec").path("nodeName").asText("");
    String text = nodeName.isEmpty() ? null : extensions.logs(pod, container, opts);
    if (text != null || nodeName.isEmpty()) {
      if (nodeName.isEmpty()
          || "Pending".equals(pod.path("status").path("phase").asText()) && text.isEmpty()) {
        throw ApiException.badRequest(
            "container \""
                + container
                + "\" in pod \""
                + name
                + "\" is waiting to start: ContainerCreating");
      }
      if (opts.limitBytes() != null && text.length() > opts.limitBytes()) {
        text = text.substring(0, opts.limitBytes().intValue());
      }
      req.response().putHeader("Content-Type", "text/plain").end(text);
      return;
    }
    kubelets.logs(req, pod, nodeName, container, q);
  }

  /**
   * The container a {@code log} or {@code exec} request names, or the pod's only one; 400
   * otherwise.
   */
  static String container(JsonNode pod, String podName, String container) {
    List<String> names = new ArrayList<>();
    pod.path("spec").path("containers").forEach(c -> names.add(c.path("name").asText()));
    pod.path("spec").path("initContainers").forEach(c -> names.add(c.path("name").asText()));
    if (container == null || container.isEmpty()) {
      if (pod.path("spec").path("containers").size() != 1) {
        throw ApiException.badRequest(
            "a container name must be specified for pod "
                + podName
                + ", choose one of: ["
                + String.join(" ", names)
                + "]");
      }
      return names.get(0);
    }
    if (!names.contains(container)) {
      throw ApiException.badRequest("container " + container + " is not valid for pod " + podName);
    }
    return container;
  }
}
