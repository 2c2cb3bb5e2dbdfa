package io.gleaner.idle.source;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.ContainerMetrics;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.NodeMetrics;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.PodMetrics;
import io.gleaner.idle.offer.MemberNodeInfo;
import io.gleaner.idle.offer.MemberPodInfo;
import io.gleaner.idle.offer.PodGroupInfo;
import io.gleaner.idle.offer.Usage;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.kube.Installations;
import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.kube.PodRequests;
import io.gleaner.meta.resources.InvalidQuantityException;
import io.gleaner.meta.resources.Resources;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Translates fabric8 objects into the detector's value types. Malformed quantities never throw:
 * they are logged with the object and field and count as zero, so one bad object cannot stop a
 * cluster's offers.
 */
public final class KubeModel {
  private static final Logger LOG = LoggerFactory.getLogger(KubeModel.class);

  private KubeModel() {}

  public static MemberNodeInfo node(Node n) {
    var meta = n.getMetadata();
    var spec = n.getSpec();
    var status = n.getStatus();
    Map<String, String> labels = meta.getLabels() == null ? Map.of() : meta.getLabels();
    List<KubeTaint> taints =
        spec == null || spec.getTaints() == null
            ? List.of()
            : spec.getTaints().stream().map(KubeTaint::from).toList();
    boolean ready = false;
    if (status != null && status.getConditions() != null) {
      for (NodeCondition c : status.getConditions()) {
        if ("Ready".equals(c.getType())) {
          ready = "True".equals(c.getStatus());
        }
      }
    }
    String where = "node " + meta.getName();
    Resources alloc =
        status == null
            ? Resources.ZERO
            : resources(status.getAllocatable(), where + " status.allocatable");
    Resources cap =
        status == null
            ? Resources.ZERO
            : resources(status.getCapacity(), where + " status.capacity");
    return new MemberNodeInfo(
        meta.getName(),
        meta.getResourceVersion(),
        labels,
        meta.getAnnotations(),
        taints,
        labels.getOrDefault(GleanerKeys.ZONE_LABEL, ""),
        cap,
        alloc,
        ready,
        spec != null && Boolean.TRUE.equals(spec.getUnschedulable()));
  }

  /**
   * The pod as the installation {@code instance} sees it: {@link MemberPodInfo#gleanerManaged()}
   * only for its own member pods; another installation's are load like the member's own work.
   */
  public static MemberPodInfo pod(Pod p, String instance) {
    var meta = p.getMetadata();
    var spec = p.getSpec();
    Map<String, String> labels = meta.getLabels() == null ? Map.of() : meta.getLabels();
    Map<String, String> annotations =
        meta.getAnnotations() == null ? Map.of() : meta.getAnnotations();
    boolean ds = false;
    if (meta.getOwnerReferences() != null) {
      for (OwnerReference o : meta.getOwnerReferences()) {
        if ("DaemonSet".equals(o.getKind())) {
          ds = true;
        }
      }
    }
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    boolean terminated = "Succeeded".equals(phase) || "Failed".equals(phase);
    Resources requests = effectiveRequests(p);
    boolean batch =
        "BE".equals(labels.get(GleanerKeys.KOORDINATOR_QOS))
            || requests.get(Resources.BATCH_CPU) > 0
            || requests.get(Resources.BATCH_MEMORY) > 0;
    return new MemberPodInfo(
        meta.getUid(),
        meta.getNamespace(),
        meta.getName(),
        spec == null ? "" : spec.getNodeName(),
        requests,
        Installations.isOwn(labels, instance),
        ds,
        terminated,
        batch,
        annotations.getOrDefault(GleanerKeys.VOLCANO_GROUP_NAME, ""));
  }

  /**
   * The pod's effective requests as the scheduler sees them ({@link PodRequests}), plus {@code
   * pods: 1}.
   *
   * @throws io.gleaner.meta.resources.InvalidQuantityException naming the field of a malformed
   *     quantity
   * @throws ArithmeticException when the requests overflow a {@code long} once summed
   */
  public static Resources effectiveRequests(Pod p) {
    return PodRequests.effectiveWithPodSlot(p.getSpec(), PodRequests.InvalidQuantities.THROW);
  }

  /** A PodGroup ({@code scheduling.volcano.sh/v1beta1}) read as a generic resource. */
  public static PodGroupInfo podGroup(GenericKubernetesResource g) {
    var meta = g.getMetadata();
    String where = "PodGroup " + meta.getNamespace() + "/" + meta.getName();
    Map<String, Object> props = g.getAdditionalProperties();
    Map<?, ?> spec = props.get("spec") instanceof Map<?, ?> m ? m : Map.of();
    Map<?, ?> status = props.get("status") instanceof Map<?, ?> m ? m : Map.of();
    int minMember = 0;
    if (spec.get("minMember") instanceof Number n) {
      minMember = Math.max(0, n.intValue());
    }
    Resources min = Resources.ZERO;
    if (spec.get("minResources") instanceof Map<?, ?> mr) {
      Resources.Builder b = Resources.builder();
      for (Map.Entry<?, ?> e : mr.entrySet()) {
        try {
          b.put(String.valueOf(e.getKey()), String.valueOf(e.getValue()));
        } catch (InvalidQuantityException ex) {
          LOG.warn("{}: spec.minResources.{} ignored: {}", where, e.getKey(), ex.getMessage());
        }
      }
      min = b.build();
    }
    int priority = 0;
    if (spec.get("priorityClassValue") instanceof Number n) {
      priority = n.intValue();
    }
    Instant created = parseTime(meta.getCreationTimestamp()).orElse(Instant.EPOCH);
    return new PodGroupInfo(
        meta.getNamespace(),
        meta.getName(),
        status.get("phase") == null ? "" : String.valueOf(status.get("phase")),
        minMember,
        min,
        priority,
        created);
  }

  public static Optional<Usage> usage(NodeMetrics m) {
    if (m.getUsage() == null) {
      return Optional.empty();
    }
    Resources r = resources(m.getUsage(), "NodeMetrics " + m.getMetadata().getName() + " usage");
    Duration window = window(m.getWindow());
    return parseTime(m.getTimestamp())
        .map(t -> new Usage(r.cpuMillis(), r.memoryBytes(), t, window));
  }

  public static Optional<Usage> usage(PodMetrics m) {
    if (m.getContainers() == null) {
      return Optional.empty();
    }
    String where = "PodMetrics " + m.getMetadata().getNamespace() + "/" + m.getMetadata().getName();
    Resources sum = Resources.ZERO;
    for (ContainerMetrics c : m.getContainers()) {
      if (c.getUsage() != null) {
        sum = sum.plus(resources(c.getUsage(), where + " container " + c.getName()));
      }
    }
    Resources total = sum;
    Duration window = window(m.getWindow());
    return parseTime(m.getTimestamp())
        .map(t -> new Usage(total.cpuMillis(), total.memoryBytes(), t, window));
  }

  /** The sample's window; zero when absent. */
  private static Duration window(io.fabric8.kubernetes.api.model.Duration w) {
    return w == null || w.getDuration() == null ? Duration.ZERO : w.getDuration();
  }

  /** Parses an RFC 3339 time; empty (and logged) when absent or malformed. */
  public static Optional<Instant> parseTime(String text) {
    if (text == null || text.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(text));
    } catch (DateTimeParseException e) {
      try {
        return Optional.of(java.time.OffsetDateTime.parse(text).toInstant());
      } catch (DateTimeParseException e2) {
        LOG.warn("ignoring malformed timestamp \"{}\"", text);
        return Optional.empty();
      }
    }
  }

  private static Resources resources(Map<String, Quantity> q, String where) {
    if (q == null || q.isEmpty()) {
      return Resources.ZERO;
    }
    try {
      return Resources.fromQuantities(q);
    } catch (InvalidQuantityException e) {
      Resources.Builder b = Resources.builder();
      for (Map.Entry<String, Quantity> e1 : q.entrySet()) {
        try {
          b.put(e1.getKey(), e1.getValue().toString());
        } catch (InvalidQuantityException bad) {
          LOG.warn("{}: {} ignored: {}", where, e1.getKey(), bad.getMessage());
        }
      }
      return b.build();
    }
  }
}
