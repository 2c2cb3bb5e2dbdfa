package io.gleaner.broker.model;

import io.gleaner.api.v1.NodeRef;
import io.gleaner.api.v1.PlaceRequest;
import io.gleaner.api.v1.PodShape;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.kube.KubeNodeSelectorRequirement;
import io.gleaner.meta.kube.KubeNodeSelectorTerm;
import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.kube.KubeToleration;
import io.gleaner.meta.resources.InvalidQuantityException;
import io.gleaner.meta.resources.Quantities;
import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Translation between the {@code gleaner.v1} messages and the broker's model. Every decoding error
 * is a {@link BrokerException} with code INVALID_ARGUMENT whose message names the field and the
 * value.
 */
public final class ProtoCodec {
  private ProtoCodec() {}

  public static CapacitySource source(SourceKind kind, String field) {
    return switch (kind) {
      case IDLE -> CapacitySource.IDLE;
      case VOLCANO -> CapacitySource.VOLCANO;
      case COLOCATION -> CapacitySource.COLOCATION;
      case ELASTIC -> CapacitySource.ELASTIC;
      default ->
          throw BrokerException.invalid(
              field + ": must be IDLE, VOLCANO, COLOCATION or ELASTIC, got " + kind);
    };
  }

  public static SourceKind source(CapacitySource source) {
    return switch (source) {
      case IDLE -> SourceKind.IDLE;
      case VOLCANO -> SourceKind.VOLCANO;
      case COLOCATION -> SourceKind.COLOCATION;
      case ELASTIC -> SourceKind.ELASTIC;
    };
  }

  public static WorkloadClass workloadClass(io.gleaner.api.v1.WorkloadClass c) {
    return c == io.gleaner.api.v1.WorkloadClass.NEAR_LINE
        ? WorkloadClass.NEAR_LINE
        : WorkloadClass.OFFLINE;
  }

  public static io.gleaner.api.v1.WorkloadClass workloadClass(WorkloadClass c) {
    return c == WorkloadClass.NEAR_LINE
        ? io.gleaner.api.v1.WorkloadClass.NEAR_LINE
        : io.gleaner.api.v1.WorkloadClass.OFFLINE;
  }

  /**
   * The largest quantity of any resource one offer or one pod may carry, in canonical units (1Pi of
   * memory, about 10^12 cores): far beyond any machine, and small enough that the ledger's sums
   * over thousands of nodes never overflow a {@code long}.
   */
  public static final long MAX_QUANTITY = 1L << 50;

  /**
   * Parses a quantity map; a bad entry, or one above {@link #MAX_QUANTITY}, fails naming {@code
   * field}, the resource and the value.
   */
  public static Resources quantities(Map<String, String> q, String field) {
    Resources r;
    try {
      r = Resources.parse(q);
    } catch (InvalidQuantityException e) {
      throw BrokerException.invalid(field + ": " + e.getMessage());
    }
    for (Map.Entry<String, Long> e : r.toCanonical().entrySet()) {
      if (e.getValue() > MAX_QUANTITY) {
        throw BrokerException.invalid(
            field
                + ": "
                + e.getKey()
                + " "
                + q.get(e.getKey())
                + " is too large (at most "
                + Quantities.format(e.getKey(), MAX_QUANTITY)
                + ")");
      }
    }
    return r;
  }

  public static NodeKey nodeKey(NodeRef ref, String field) {
    requireNonEmpty(ref.getCluster(), field + ".cluster");
    requireNonEmpty(ref.getNode(), field + ".node");
    return new NodeKey(ref.getCluster(), ref.getNode());
  }

  public static NodeRef nodeRef(NodeKey key) {
    return NodeRef.newBuilder().setCluster(key.cluster()).setNode(key.node()).build();
  }

  public static NodeOffer offer(io.gleaner.api.v1.NodeOffer o) {
    requireNonEmpty(o.getCluster(), "offer.cluster");
    requireNonEmpty(o.getNode(), "offer.node");
    String where = "offer " + o.getCluster() + "/" + o.getNode();
    CapacitySource source = source(o.getSource(), where + ": source");
    Resources usable = quantities(o.getUsableMap(), where + ": usable");
    Resources allocatable = quantities(o.getAllocatableMap(), where + ": allocatable");
    List<KubeTaint> taints = new ArrayList<>();
    try {
      for (io.gleaner.api.v1.Taint t : o.getTaintsList()) {
        taints.add(KubeTaint.of(t.getKey(), t.getValue(), t.getEffect()));
      }
      return new NodeOffer(
          new NodeKey(o.getCluster(), o.getNode()),
          source,
          usable,
          o.getLabelsMap(),
          taints,
          o.getReclaimRisk(),
          o.getZone(),
          o.getGpuFreeMilliList(),
          o.getObservedAtMs(),
          allocatable,
          o.getRoomUntilMs(),
          o.getDraining());
    } catch (IllegalArgumentException e) {
      throw BrokerException.invalid(
          e.getMessage().startsWith("offer ") ? e.getMessage() : where + ": " + e.getMessage());
    }
  }

  public static io.gleaner.api.v1.NodeOffer offer(NodeOffer o) {
    var b =
        io.gleaner.api.v1.NodeOffer.newBuilder()
            .setCluster(o.key().cluster())
            .setNode(o.key().node())
            .setSource(source(o.source()))
            .putAllUsable(o.usable().toStrings())
            .putAllAllocatable(o.allocatable().toStrings())
            .putAllLabels(o.labels())
            .setReclaimRisk(o.reclaimRisk())
            .setObservedAtMs(o.observedAtMs())
            .setRoomUntilMs(o.roomUntilMs())
            .setDraining(o.draining())
            .setZone(o.zone())
            .addAllGpuFreeMilli(o.gpuFreeMilli());
    for (KubeTaint t : o.taints()) {
      b.addTaints(
          io.gleaner.api.v1.Taint.newBuilder()
              .setKey(t.key())
              .setValue(t.value())
              .setEffect(t.effect().name()));
    }
    return b.build();
  }

  /** The wire form of a refusal, with its never-fits verdict when there is one. */
  public static io.gleaner.api.v1.NoFit noFit(NoFit n) {
    var b =
        io.gleaner.api.v1.NoFit.newBuilder()
            .setMessage(n.message())
            .addAllReasons(n.reasons())
            .putAllLargestFree(n.largestFree().toStrings());
    if (n.never() != null) {
      b.setNeverFits(
          io.gleaner.api.v1.NeverFits.newBuilder()
              .setResource(n.never().resource())
              .setRequested(n.never().requestedQuantity())
              .setLargest(n.never().largestQuantity()));
    }
    return b.build();
  }

  public static io.gleaner.api.v1.Placement placement(Placement p) {
    return io.gleaner.api.v1.Placement.newBuilder()
        .setPodUid(p.podUid())
        .setNamespace(p.namespace())
        .setName(p.name())
        .setNode(nodeRef(p.node()))
        .setSource(source(p.source()))
        .setWorkloadClass(workloadClass(p.workloadClass()))
        .putAllReserved(p.resources().toStrings())
        .addAllGpuDevices(p.gpuDevices())
        .setGpuMilli(p.gpuMilli())
        .setReservedAtMs(p.reservedAtMs())
        .setConfirmed(p.confirmed())
        .setGangId(p.gangId())
        .setExpiresAtMs(p.expiresAtMs())
        .build();
  }

  public static Placement placement(io.gleaner.api.v1.Placement p) {
    requireNonEmpty(p.getPodUid(), "placement.pod_uid");
    return new Placement(
        p.getPodUid(),
        p.getNamespace(),
        p.getName(),
        nodeKey(p.getNode(), "placement.node"),
        source(p.getSource(), "placement.source"),
        workloadClass(p.getWorkloadClass()),
        quantities(p.getReservedMap(), "placement.reserved"),
        p.getGpuDevicesList(),
        p.getGpuMilli(),
        p.getReservedAtMs(),
        p.getConfirmed(),
        p.getGangId(),
        p.getExpiresAtMs());
  }

  public static PodRequest podRequest(PlaceRequest r) {
    requireNonEmpty(r.getPodUid(), "pod_uid");
    Set<NodeKey> exclude = new HashSet<>();
    for (int i = 0; i < r.getExcludeCount(); i++) {
      NodeRef x = r.getExclude(i);
      requireNonEmpty(x.getCluster(), "exclude[" + i + "].cluster");
      exclude.add(new NodeKey(x.getCluster(), x.getNode())); // no node: the whole cluster
    }
    return shape(
        r.getPodUid(),
        r.getNamespace(),
        r.getName(),
        workloadClass(r.getWorkloadClass()),
        r.getShape(),
        exclude);
  }

  /** A shape for estimates, under a placeholder uid. */
  public static PodRequest shape(PodShape s, io.gleaner.api.v1.WorkloadClass cls) {
    return shape(s, cls, "");
  }

  /**
   * A shape for estimates in metadata namespace {@code namespace} (empty: none), placeholder uid.
   */
  public static PodRequest shape(
      PodShape s, io.gleaner.api.v1.WorkloadClass cls, String namespace) {
    return shape("estimate", namespace, "", workloadClass(cls), s, Set.of());
  }

  private static PodRequest shape(
      String uid, String ns, String name, WorkloadClass cls, PodShape s, Set<NodeKey> exclude) {
    Resources requests = quantities(s.getRequestsMap(), "shape.requests");
    try {
      List<KubeNodeSelectorTerm> terms = new ArrayList<>();
      for (var t : s.getRequiredAffinityList()) {
        List<KubeNodeSelectorRequirement> reqs = new ArrayList<>();
        for (var r : t.getMatchExpressionsList()) {
          reqs.add(KubeNodeSelectorRequirement.of(r.getKey(), r.getOperator(), r.getValuesList()));
        }
        terms.add(new KubeNodeSelectorTerm(reqs, List.of()));
      }
      List<KubeToleration> tolerations = new ArrayList<>();
      for (var t : s.getTolerationsList()) {
        tolerations.add(
            KubeToleration.of(t.getKey(), t.getOperator(), t.getValue(), t.getEffect()));
      }
      return new PodRequest(
          uid,
          ns,
          name,
          cls,
          requests,
          s.getNodeSelectorMap(),
          terms,
          tolerations,
          s.getGpuMilli(),
          exclude,
          Math.multiplyExact(s.getExpectedRuntimeSeconds(), 1000L));
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw BrokerException.invalid("shape: " + e.getMessage());
    }
  }

  private static void requireNonEmpty(String v, String field) {
    if (v == null || v.isBlank()) {
      throw BrokerException.invalid(field + " must not be empty");
    }
  }
}
