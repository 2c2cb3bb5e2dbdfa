package io.gleaner.vk.node;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.gleaner.api.v1.Capacity;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.resources.Quantities;
import io.gleaner.meta.resources.Resources;
import io.gleaner.vk.translate.StatusMirror;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the virtual node from its config, the broker's latest {@link Capacity} and health
 * (ARCHITECTURE.md §4 step 3). Pure. Capacity and allocatable are clamped at zero whatever the
 * broker sends; the largest placeable shape is published as annotations so submitters can see
 * fragmentation.
 */
public final class NodeBuilder {
  private NodeBuilder() {}

  /** The node's taint: {@code virtual-kubelet.io/provider=gleaner:NoSchedule}. */
  public static Taint taint() {
    return new TaintBuilder()
        .withKey(GleanerKeys.VIRTUAL_NODE_TAINT_KEY)
        .withValue("gleaner")
        .withEffect("NoSchedule")
        .build();
  }

  /** The advertised vector: broker's advertised resources, clamped, with a pods count. */
  public static Resources advertised(NodeConfig config, Capacity capacity) {
    Resources r = capacity == null ? Resources.ZERO : lenient(capacity.getAdvertisedMap());
    if (r.pods() == 0) {
      r = r.with(Resources.PODS, config.maxPods());
    }
    return r;
  }

  /**
   * Byte quantities rounded down to whole Ki, as a kubelet reports them ({@code 64Gi}, {@code
   * 65843184Ki}) instead of the raw sum of lent bytes; down, so the node never advertises more than
   * is lent.
   */
  static Resources wholeKibibytes(Resources r) {
    Resources out = r;
    for (String name : List.of(Resources.MEMORY, "ephemeral-storage")) {
      long v = r.get(name);
      if (v > 0 && v % 1024 != 0) {
        out = out.with(name, v / 1024 * 1024);
      }
    }
    return out;
  }

  /** What the node advertises as capacity and allocatable: {@link #advertised}, whole Ki. */
  public static Resources allocatable(NodeConfig config, Capacity capacity) {
    return wholeKibibytes(advertised(config, capacity));
  }

  public static Node build(
      NodeConfig config, Capacity capacity, NodeHealth health, Node existing, Instant now) {
    Resources adv = allocatable(config, capacity);
    Map<String, Quantity> quantities = new LinkedHashMap<>();
    quantities.put(Resources.CPU, new Quantity(adv.format(Resources.CPU)));
    quantities.put(Resources.MEMORY, new Quantity(adv.format(Resources.MEMORY)));
    quantities.putAll(adv.toQuantities());

    Map<String, String> labels = new LinkedHashMap<>(config.virtualNode().labels());
    labels.putAll(config.extraLabels());

    Map<String, String> annotations = new LinkedHashMap<>();
    if (existing != null && existing.getMetadata().getAnnotations() != null) {
      annotations.putAll(existing.getMetadata().getAnnotations());
      annotations.keySet().removeIf(k -> k.startsWith(GleanerKeys.LARGEST_SHAPE));
    }
    Resources largest = capacity == null ? Resources.ZERO : lenient(capacity.getLargestShapeMap());
    List<String> shape = new ArrayList<>();
    for (String name : largest.names()) {
      annotations.put(
          GleanerKeys.LARGEST_SHAPE_PREFIX + annotationSuffix(name), largest.format(name));
      shape.add(name + "=" + largest.format(name));
    }
    annotations.put(GleanerKeys.LARGEST_SHAPE, String.join(",", shape));
    annotations.put(
        GleanerKeys.MEMBER_NODES,
        Integer.toString(capacity == null ? 0 : Math.max(0, capacity.getNodes())));
    if (capacity != null && capacity.getGeneratedAtMs() > 0) {
      annotations.put(
          GleanerKeys.CAPACITY_GENERATED_AT,
          StatusMirror.time(Instant.ofEpochMilli(capacity.getGeneratedAtMs())));
    }

    List<NodeCondition> old =
        existing == null || existing.getStatus() == null
            ? List.of()
            : existing.getStatus().getConditions();
    List<NodeCondition> conditions =
        List.of(
            condition(
                old,
                "Ready",
                health.brokerReachable() ? "True" : "False",
                health.brokerReachable() ? "KubeletReady" : "BrokerUnavailable",
                health.message(),
                now),
            condition(
                old,
                "MemoryPressure",
                "False",
                "KubeletHasSufficientMemory",
                "memory pressure is handled per member node",
                now),
            condition(
                old,
                "DiskPressure",
                "False",
                "KubeletHasNoDiskPressure",
                "disk pressure is handled per member node",
                now),
            condition(
                old,
                "PIDPressure",
                "False",
                "KubeletHasSufficientPID",
                "PID pressure is handled per member node",
                now),
            condition(
                old,
                "NetworkUnavailable",
                "False",
                "RouteCreated",
                "member clusters provide pod networking",
                now));

    return new io.fabric8.kubernetes.api.model.NodeBuilder()
        .withNewMetadata()
        .withName(config.name())
        .withLabels(labels)
        .withAnnotations(annotations)
        .withResourceVersion(existing == null ? null : existing.getMetadata().getResourceVersion())
        .endMetadata()
        .withNewSpec()
        .withTaints(taint())
        .endSpec()
        .withNewStatus()
        .withCapacity(quantities)
        .withAllocatable(new LinkedHashMap<>(quantities))
        .withConditions(conditions)
        .addNewAddress()
        .withType("InternalIP")
        .withAddress(config.internalIp())
        .endAddress()
        .addNewAddress()
        .withType("Hostname")
        .withAddress(config.name())
        .endAddress()
        .withNewDaemonEndpoints()
        .withNewKubeletEndpoint()
        .withPort(config.kubeletPort())
        .endKubeletEndpoint()
        .endDaemonEndpoints()
        .withNewNodeInfo()
        .withKubeletVersion(config.kubeletVersion())
        .withKubeProxyVersion("")
        .withOperatingSystem("linux")
        .withArchitecture("amd64")
        .withContainerRuntimeVersion("gleaner://" + config.kubeletVersion())
        .withOsImage("Gleaner virtual node")
        .withKernelVersion("")
        .withMachineID(config.name())
        .withSystemUUID(config.name())
        .withBootID("")
        .endNodeInfo()
        .endStatus()
        .build();
  }

  /**
   * Parses broker quantities so that a bad entry can never make the node negative or block the
   * update: negative or unparsable values count as zero.
   */
  static Resources lenient(Map<String, String> quantities) {
    Map<String, Long> canonical = new LinkedHashMap<>();
    quantities.forEach(
        (name, q) -> {
          if (q == null || q.isBlank() || q.trim().startsWith("-")) {
            return;
          }
          try {
            canonical.put(name, Math.max(0, Quantities.parseCanonical(name, q.trim())));
          } catch (IllegalArgumentException e) {
            // bad entries from the broker are dropped rather than advertised
          }
        });
    return Resources.ofCanonical(canonical).clampAtZero();
  }

  /**
   * {@code nvidia.com/gpu} → {@code nvidia.com.gpu}: an annotation name part may not contain a
   * slash.
   */
  static String annotationSuffix(String resource) {
    return resource.replace('/', '.');
  }

  private static NodeCondition condition(
      List<NodeCondition> old,
      String type,
      String status,
      String reason,
      String message,
      Instant now) {
    String transition = StatusMirror.time(now);
    if (old != null) {
      for (NodeCondition c : old) {
        if (type.equals(c.getType())
            && status.equals(c.getStatus())
            && c.getLastTransitionTime() != null) {
          transition = c.getLastTransitionTime();
        }
      }
    }
    return new NodeConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withReason(reason)
        .withMessage(message)
        .withLastHeartbeatTime(StatusMirror.time(now))
        .withLastTransitionTime(transition)
        .build();
  }
}
