package io.gleaner.sandbox.invariants;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.Placement;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.resources.Resources;
import io.gleaner.sim.scheduler.NodeInfo;
import io.gleaner.sim.scheduler.PodInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Takes an {@link FederationSnapshot} through the clusters' APIs and the broker's {@code
 * ListPlacements}, as any client would. Pod requests and node room are computed by the simulator's
 * scheduler model (the oracle), not by Gleaner's own rules.
 */
public final class FederationObserver {
  private final KubernetesClient meta;
  private final Supplier<Map<String, KubernetesClient>> members;
  private final BrokerApiClient broker;
  private final String virtualNode;
  private final String instance;
  private final java.time.Clock simulatedClock;
  private final java.time.Clock realClock;

  /** As below, timing the list reads on the system's clock. */
  public FederationObserver(
      KubernetesClient meta,
      Supplier<Map<String, KubernetesClient>> members,
      BrokerApiClient broker,
      String virtualNode,
      String instance,
      java.time.Clock simulatedClock) {
    this(meta, members, broker, virtualNode, instance, simulatedClock, java.time.Clock.systemUTC());
  }

  /**
   * {@code simulatedClock} is the members' clock (the simulated time of each look); {@code
   * realClock} times each list read ({@link FederationSnapshot.Read}).
   */
  public FederationObserver(
      KubernetesClient meta,
      Supplier<Map<String, KubernetesClient>> members,
      BrokerApiClient broker,
      String virtualNode,
      String instance,
      java.time.Clock simulatedClock,
      java.time.Clock realClock) {
    this.simulatedClock = simulatedClock;
    this.realClock = realClock;
    this.meta = meta;
    this.members = members;
    this.broker = broker;
    this.virtualNode = virtualNode;
    this.instance = instance;
  }

  /**
   * One look; empty when the broker cannot answer (nothing can be concluded then). The ledger is
   * read before the pods and nodes and again after them: under load a look takes seconds, and a
   * reservation given back or made meanwhile ({@link
   * FederationSnapshot.Reservation#heldThroughLook}) must not be set against pods read at another
   * time. Each list read of pods is timed ({@link FederationSnapshot#metaRead}, {@link
   * FederationSnapshot#memberReads}) for the same reason.
   */
  public Optional<FederationSnapshot> observe() {
    Optional<Map<String, Placement>> before = broker.placementsByUid("");
    if (before.isEmpty()) {
      return Optional.empty();
    }
    Map<String, FederationSnapshot.MetaPod> metaPods = new HashMap<>();
    Instant metaSent = realClock.instant();
    List<Pod> metaList = meta.pods().inAnyNamespace().list().getItems();
    FederationSnapshot.Read metaRead = new FederationSnapshot.Read(metaSent, realClock.instant());
    Map<String, FederationSnapshot.Read> memberReads = new HashMap<>();
    for (Pod p : metaList) {
      if (p.getSpec() != null && virtualNode.equals(p.getSpec().getNodeName())) {
        String uid = p.getMetadata().getUid();
        metaPods.put(
            uid,
            new FederationSnapshot.MetaPod(
                uid,
                p.getMetadata().getNamespace() + "/" + p.getMetadata().getName(),
                p.getStatus() == null ? "" : String.valueOf(p.getStatus().getPhase())));
      }
    }
    List<FederationSnapshot.MemberPod> memberPods = new ArrayList<>();
    Map<String, FederationSnapshot.Node> nodes = new HashMap<>();
    List<FederationSnapshot.WaitingPod> waiting = new ArrayList<>();
    Map<String, Instant> scheduledAt = new HashMap<>();
    Instant simulatedNow = simulatedClock.instant();
    members
        .get()
        .forEach(
            (cluster, client) -> {
              Map<String, Resources> occupied = new HashMap<>();
              Map<String, java.util.Set<String>> gleanerOn = new HashMap<>();
              Instant sent = realClock.instant();
              List<Pod> pods = client.pods().inAnyNamespace().list().getItems();
              memberReads.put(cluster, new FederationSnapshot.Read(sent, realClock.instant()));
              List<Node> memberNodes = client.nodes().list().getItems();
              OwnPods own = new OwnPods(cluster, memberNodes);
              for (Pod p : pods) {
                PodInfo info = PodInfo.of(p);
                Map<String, String> labels = p.getMetadata().getLabels();
                String metaUid = null;
                boolean gleaners =
                    labels != null
                        && "true".equals(labels.get(GleanerKeys.MANAGED))
                        && instance.equals(labels.get(GleanerKeys.INSTANCE));
                own.add(p, info, gleaners);
                if (gleaners) {
                  metaUid = labels.get(GleanerKeys.META_UID);
                  Map<String, String> a = p.getMetadata().getAnnotations();
                  memberPods.add(
                      new FederationSnapshot.MemberPod(
                          cluster,
                          info.key(),
                          metaUid,
                          info.nodeName() == null ? null : cluster + "/" + info.nodeName(),
                          info.phase(),
                          p.getMetadata().getDeletionTimestamp() != null,
                          a == null ? null : a.get(GleanerKeys.GANG),
                          gangMinMember(a),
                          refused(p)));
                }
                if (info.occupiesNode()) {
                  occupied.merge(info.nodeName(), info.requests(), Resources::plus);
                  if (metaUid != null) {
                    gleanerOn.computeIfAbsent(info.nodeName(), k -> new HashSet<>()).add(metaUid);
                  }
                }
              }
              own.judge(waiting, scheduledAt);
              for (Node n : memberNodes) {
                NodeInfo info = new NodeInfo(n);
                String name = info.name();
                nodes.put(
                    cluster + "/" + name,
                    new FederationSnapshot.Node(
                        info.allocatable(),
                        occupied.getOrDefault(name, Resources.ZERO),
                        gleanerOn.getOrDefault(name, java.util.Set.of())));
              }
            });
    Optional<Map<String, Placement>> after = broker.placementsByUid("");
    if (after.isEmpty()) {
      return Optional.empty();
    }
    Map<String, FederationSnapshot.Reservation> reservations = new HashMap<>();
    after
        .get()
        .forEach(
            (uid, p) -> {
              Placement first = before.get().get(uid);
              reservations.put(
                  uid,
                  new FederationSnapshot.Reservation(
                      uid,
                      nodeOf(p),
                      Resources.parse(p.getReservedMap()),
                      p.getConfirmed(),
                      p.getReservedAtMs() == 0 ? null : Instant.ofEpochMilli(p.getReservedAtMs()),
                      first != null && nodeOf(first).equals(nodeOf(p))));
            });
    return Optional.of(
        new FederationSnapshot(
            metaPods,
            memberPods,
            nodes,
            reservations,
            waiting,
            scheduledAt,
            simulatedNow,
            metaRead,
            memberReads));
  }

  /** A member pod's gang minimum as placed; 0 when it carries none or not a number. */
  private static int gangMinMember(Map<String, String> annotations) {
    String v = annotations == null ? null : annotations.get(GleanerKeys.GANG_MIN_MEMBER);
    try {
      return v == null ? 0 : Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String nodeOf(Placement p) {
    return p.getNode().getCluster() + "/" + p.getNode().getNode();
  }

  /**
   * Why the member will not run a pod where it is pinned: its scheduler's {@code
   * PodScheduled=False/Unschedulable} (with when it said so, simulated time) or a kubelet's {@code
   * OutOf*} rejection; null when neither.
   */
  static String refused(Pod p) {
    if (p.getStatus() == null) {
      return null;
    }
    String reason = p.getStatus().getReason();
    if ("Failed".equals(p.getStatus().getPhase()) && reason != null && reason.startsWith("OutOf")) {
      return reason;
    }
    if (p.getStatus().getConditions() == null) {
      return null;
    }
    for (var c : p.getStatus().getConditions()) {
      if ("PodScheduled".equals(c.getType())
          && "False".equals(c.getStatus())
          && "Unschedulable".equals(c.getReason())) {
        return "Unschedulable since " + c.getLastTransitionTime();
      }
    }
    return null;
  }

  /**
   * A member's own pods: when each bound one was scheduled, and for each unschedulable one the
   * nodes where Gleaner's pods stand in its way (it fits there without them, not with them).
   */
  private static final class OwnPods {
    private final String cluster;
    private final GleanerRoom room;
    private final Map<String, Long> gleanerGrace = new HashMap<>();
    private final List<Pod> unschedulable = new ArrayList<>();
    private final List<PodInfo> unschedulableInfo = new ArrayList<>();
    private final Map<String, Instant> scheduled = new HashMap<>();

    OwnPods(String cluster, List<Node> nodes) {
      this.cluster = cluster;
      this.room = new GleanerRoom(nodes);
    }

    void add(Pod p, PodInfo info, boolean gleaners) {
      room.add(info, gleaners);
      if (gleaners && info.occupiesNode()) {
        Long grace = p.getSpec().getTerminationGracePeriodSeconds();
        gleanerGrace.merge(info.nodeName(), grace == null ? 30L : grace, Math::max);
      }
      if (gleaners
          || GleanerRoom.isScaleUpPlaceholder(p)
          || p.getStatus() == null
          || p.getStatus().getConditions() == null) {
        return; // only online pods wait for room (a scale-up placeholder waits by design)
      }
      for (var c : p.getStatus().getConditions()) {
        if (!"PodScheduled".equals(c.getType()) || c.getLastTransitionTime() == null) {
          continue;
        }
        if ("True".equals(c.getStatus()) && info.nodeName() != null) {
          scheduled.put(cluster + ":" + info.uid(), Instant.parse(c.getLastTransitionTime()));
        } else if ("False".equals(c.getStatus())
            && "Unschedulable".equals(c.getReason())
            && info.nodeName() == null
            && !info.terminating()
            && (info.schedulerName() == null
                || info.schedulerName().isEmpty()
                || info.schedulerName().equals("default-scheduler"))) {
          unschedulable.add(p);
          unschedulableInfo.add(info);
        }
      }
    }

    void judge(List<FederationSnapshot.WaitingPod> waiting, Map<String, Instant> scheduledAt) {
      scheduledAt.putAll(scheduled);
      for (int i = 0; i < unschedulable.size(); i++) {
        PodInfo info = unschedulableInfo.get(i);
        List<String> gleanerNodes = room.nodesGleanerBlocks(info);
        long grace = 0;
        for (String n : gleanerNodes) {
          grace = Math.max(grace, gleanerGrace.getOrDefault(n, 0L));
        }
        String since = null;
        for (var c : unschedulable.get(i).getStatus().getConditions()) {
          if ("PodScheduled".equals(c.getType())) {
            since = c.getLastTransitionTime();
          }
        }
        waiting.add(
            new FederationSnapshot.WaitingPod(
                cluster + ":" + info.uid(), info.key(), Instant.parse(since), gleanerNodes, grace));
      }
    }
  }
}
