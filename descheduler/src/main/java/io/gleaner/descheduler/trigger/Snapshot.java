package io.gleaner.descheduler.trigger;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.gleaner.descheduler.plan.Demand;
import io.gleaner.descheduler.plan.Gang;
import io.gleaner.descheduler.plan.LentNode;
import io.gleaner.descheduler.plan.NodePod;
import io.gleaner.descheduler.plan.PendingPod;
import io.gleaner.descheduler.plan.PlanInput;
import io.gleaner.descheduler.plan.Pool;
import io.gleaner.descheduler.plan.PreemptionPolicy;
import io.gleaner.descheduler.plan.Reason;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.kube.LendClaim;
import io.gleaner.meta.kube.SkippedPods;
import io.gleaner.meta.resources.InvalidQuantityException;
import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * Builds the planner's input from a member cluster's cached state. Pure: everything comes in as
 * arguments.
 *
 * <p>Candidate nodes are the lent ones (label {@code gleaner.io/pool}) and any node still hosting a
 * live Gleaner pod: after a restart in the middle of a reclaim the node is already returned but its
 * victims may still run, and a new plan must be able to finish the job. Pods Gleaner evicted
 * moments ago ({@code evicted}) count as leaving even if the cache has not caught up, so they are
 * never evicted twice; pods a PodDisruptionBudget protected ({@code blocked}) are kept. A pod whose
 * requests cannot be counted (a malformed quantity, requests that overflow a {@code long} or exceed
 * {@link SkippedPods#MAX_QUANTITY}, so that no node's sums can overflow) is left out and reported
 * to {@code skipped}.
 *
 * <p>Installations sharing the member stay apart ({@link Inputs#instance()}): another
 * installation's pods are load, never victims nor demand; a node it lends ({@link LendClaim}) is a
 * candidate only while it still hosts this installation's pods, and is never handed back.
 */
public final class Snapshot {
  private Snapshot() {}

  /**
   * The inputs gathered from one cluster's caches.
   *
   * @param instance the installation planning: only its pods are victims, only nodes it lends (or
   *     that host its pods) are candidates
   */
  public record Inputs(
      String cluster,
      boolean memberPreemption,
      int priorityThreshold,
      Collection<Node> nodes,
      Collection<Pod> pods,
      Map<String, PodGroupView> podGroups,
      Map<String, Observation> observations,
      Set<String> evicted,
      Set<String> blocked,
      Instant now,
      java.util.function.Function<Pod, Resources> requests,
      String instance,
      BiConsumer<Pod, RuntimeException> skipped) {
    /** Without a listener: pods whose requests cannot be counted are left out silently. */
    public Inputs(
        String cluster,
        boolean memberPreemption,
        int priorityThreshold,
        Collection<Node> nodes,
        Collection<Pod> pods,
        Map<String, PodGroupView> podGroups,
        Map<String, Observation> observations,
        Set<String> evicted,
        Set<String> blocked,
        Instant now,
        java.util.function.Function<Pod, Resources> requests,
        String instance) {
      this(
          cluster,
          memberPreemption,
          priorityThreshold,
          nodes,
          pods,
          podGroups,
          observations,
          evicted,
          blocked,
          now,
          requests,
          instance,
          (p, e) -> {});
    }

    public Inputs(
        String cluster,
        boolean memberPreemption,
        int priorityThreshold,
        Collection<Node> nodes,
        Collection<Pod> pods,
        Map<String, PodGroupView> podGroups,
        Map<String, Observation> observations,
        Set<String> evicted,
        Set<String> blocked,
        Instant now,
        String instance) {
      this(
          cluster,
          memberPreemption,
          priorityThreshold,
          nodes,
          pods,
          podGroups,
          observations,
          evicted,
          blocked,
          now,
          PodViews::requests,
          instance);
    }
  }

  public static PlanInput build(Inputs in) {
    Map<String, List<Pod>> byNode = new HashMap<>();
    Map<String, Integer> liveGangMembers = new HashMap<>();
    Map<String, Integer> boundGroupMembers = new HashMap<>();
    Map<String, List<Pod>> pendingByGroup = new TreeMap<>();
    List<Pod> singles = new ArrayList<>();
    for (Pod p : in.pods()) {
      if (PodViews.isDone(p)) {
        continue;
      }
      try {
        SkippedPods.countable(in.requests().apply(p));
      } catch (InvalidQuantityException | ArithmeticException e) {
        // its requests cannot be counted: left out of this pass, everything else goes on
        in.skipped().accept(p, e);
        continue;
      }
      String node = p.getSpec() == null ? null : p.getSpec().getNodeName();
      Optional<String> group = PodViews.podGroup(p);
      boolean live = !PodViews.isTerminating(p) && !in.evicted().contains(p.getMetadata().getUid());
      if (PodViews.isBound(p)) {
        byNode.computeIfAbsent(node, k -> new ArrayList<>()).add(p);
        if (group.isPresent() && live) {
          boundGroupMembers.merge(group.get(), 1, Integer::sum);
        }
        Optional<String> gang = gangKey(p, in.instance());
        if (gang.isPresent() && live && PodViews.isOwn(p, in.instance())) {
          liveGangMembers.merge(gang.get(), 1, Integer::sum);
        }
      } else if (PodViews.isOwn(p, in.instance())) {
        // created by the virtual-kubelet, not bound yet: its member's scheduler binds it into the
        // room of its node the moment it fits, so it counts there (and may be taken) already
        if (live) {
          PodViews.pinnedNode(p)
              .ifPresent(pinned -> byNode.computeIfAbsent(pinned, k -> new ArrayList<>()).add(p));
        }
      } else if (PodViews.isOnlineUnschedulable(p, in.priorityThreshold())) {
        if (group.isPresent() && in.podGroups().containsKey(group.get())) {
          pendingByGroup.computeIfAbsent(group.get(), k -> new ArrayList<>()).add(p);
        } else {
          singles.add(p);
        }
      }
    }

    List<LentNode> lent = new ArrayList<>();
    List<Demand> demands = new ArrayList<>();
    Map<String, Node> nodesByName = new LinkedHashMap<>();
    for (Node n : in.nodes()) {
      nodesByName.put(n.getMetadata().getName(), n);
    }
    for (Node n : nodesByName.values()) {
      String name = n.getMetadata().getName();
      List<Pod> here = byNode.getOrDefault(name, List.of());
      Map<String, String> labels =
          n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
      Map<String, String> annotations =
          n.getMetadata().getAnnotations() == null ? Map.of() : n.getMetadata().getAnnotations();
      boolean othersClaim = LendClaim.claimedByAnother(labels, annotations, in.instance());
      boolean lentNow = labels.containsKey(GleanerKeys.POOL) && !othersClaim;
      boolean hostsGleaner =
          here.stream()
              .anyMatch(p -> PodViews.isOwn(p, in.instance()) && !PodViews.isTerminating(p));
      if (!lentNow && !hostsGleaner) {
        continue;
      }
      List<NodePod> pods = new ArrayList<>();
      List<String> refused = new ArrayList<>();
      Pool pool = Pool.fromLabel(labels.get(GleanerKeys.POOL));
      for (Pod p : here) {
        Optional<Gang> gang =
            gangKey(p, in.instance()).map(g -> gang(g, p, in.podGroups(), liveGangMembers));
        NodePod np =
            PodViews.nodePod(
                p,
                in.instance(),
                in.requests().apply(p),
                gang,
                in.evicted().contains(p.getMetadata().getUid()));
        if (np.gleaner() && in.blocked().contains(np.uid())) {
          if (!np.terminating()) {
            refused.add(np.namespace() + "/" + np.name());
          }
          np =
              new NodePod(
                  np.namespace(),
                  np.name(),
                  np.uid(),
                  np.requests(),
                  false,
                  np.podClass(),
                  np.source(),
                  np.priority(),
                  np.startTime(),
                  np.gracePeriodSeconds(),
                  Optional.empty(),
                  np.terminating(),
                  np.metaUid(),
                  np.metaNamespace());
        }
        if (pool == Pool.UNKNOWN && np.gleaner()) {
          pool = np.source();
        }
        pods.add(np);
      }
      List<KubeTaint> taints =
          n.getSpec() == null || n.getSpec().getTaints() == null
              ? List.of()
              : n.getSpec().getTaints().stream().map(KubeTaint::from).toList();
      boolean cordoned = n.getSpec() != null && Boolean.TRUE.equals(n.getSpec().getUnschedulable());
      Resources alloc = NodeAllocatable.of(n);
      // a node another installation lends is not this one's to hand back, even if its pods run
      // there
      lent.add(
          new LentNode(name, pool, alloc, labels, taints, cordoned, pods, !othersClaim, refused));

      Resources excess =
          ColocationPressure.excess(
              n,
              here.stream()
                  .filter(
                      p -> PodViews.isBound(p) && !in.evicted().contains(p.getMetadata().getUid()))
                  .toList(),
              in.requests(),
              in.instance());
      if (!excess.isZero()) {
        Observation o = in.observations().get("node/" + name);
        demands.add(new Demand.Pressure(name, excess, o == null ? in.now() : o.since()));
      }
    }

    for (Pod p : singles) {
      demands.add(Demand.Pods.single(pending(p, in)));
    }
    for (Map.Entry<String, PodGroupView> e : in.podGroups().entrySet()) {
      PodGroupView pg = e.getValue();
      List<Pod> waiting = pendingByGroup.getOrDefault(e.getKey(), List.of());
      if (!pg.pendingUnschedulable() && waiting.isEmpty()) {
        continue;
      }
      int bound = boundGroupMembers.getOrDefault(e.getKey(), 0);
      List<PendingPod> pods = new ArrayList<>();
      if (!waiting.isEmpty()) {
        for (Pod p : waiting) {
          pods.add(pending(p, in));
        }
      } else {
        Observation o = in.observations().get("podgroup/" + e.getKey());
        Instant since = o == null ? in.now() : o.since();
        String[] nsName = e.getKey().split("/", 2);
        List<Resources> tasks = pg.virtualTasks();
        for (int i = bound; i < tasks.size(); i++) {
          pods.add(
              new PendingPod(
                  nsName[0],
                  nsName[1] + "-task-" + i,
                  "",
                  tasks.get(i),
                  Map.of(),
                  List.of(),
                  List.of(),
                  0,
                  PreemptionPolicy.NEVER,
                  Optional.empty(),
                  null,
                  since,
                  Set.of()));
        }
      }
      if (pods.isEmpty()) {
        continue;
      }
      int minPlaced = Math.max(1, Math.min(pods.size(), pg.minMember() - bound));
      demands.add(
          new Demand.Pods("podgroup/" + e.getKey(), Reason.POD_GROUP_PENDING, pods, minPlaced));
    }
    return new PlanInput(in.cluster(), in.memberPreemption(), lent, demands, in.now());
  }

  private static PendingPod pending(Pod p, Inputs in) {
    Observation o = in.observations().get(PodViews.key(p));
    Instant since = o == null ? in.now() : o.since();
    Instant nominatedSince = o == null || o.nominatedSince() == null ? since : o.nominatedSince();
    return PodViews.pending(
        p, in.requests().apply(p), since, nominatedSince, o == null ? Set.of() : o.insufficient());
  }

  /**
   * The key of a pod's gang: a Gleaner pod's federation-wide gang id ({@link GleanerKeys#GANG})
   * when it has one, so the part of a gang one member holds is never taken for the whole; else its
   * PodGroup in this member.
   */
  static Optional<String> gangKey(Pod p, String instance) {
    Map<String, String> a = p.getMetadata().getAnnotations();
    String id = a == null ? null : a.get(GleanerKeys.GANG);
    if (id != null && !id.isBlank() && PodViews.isOwn(p, instance)) {
      return Optional.of(GleanerKeys.GANG + ":" + id);
    }
    return PodViews.podGroup(p);
  }

  private static Gang gang(
      String key, Pod p, Map<String, PodGroupView> groups, Map<String, Integer> live) {
    int members = live.getOrDefault(key, 0);
    // the gang's size across every member, as placed: more than seen here means part runs elsewhere
    members = Math.max(members, intAnnotation(p, GleanerKeys.GANG_MEMBERS, 0));
    PodGroupView pg =
        key.startsWith(GleanerKeys.GANG + ":")
            ? PodViews.podGroup(p).map(groups::get).orElse(null)
            : groups.get(key);
    int min;
    if (pg != null) {
      min = pg.minMember();
    } else {
      String a =
          p.getMetadata().getAnnotations() == null
              ? null
              : p.getMetadata().getAnnotations().get(GleanerKeys.GANG_MIN_MEMBER);
      try {
        min = a == null ? members : Integer.parseInt(a.trim());
      } catch (NumberFormatException e) {
        min = members;
      }
    }
    return new Gang(key, Math.max(0, min), members);
  }

  private static int intAnnotation(Pod p, String key, int otherwise) {
    Map<String, String> a = p.getMetadata().getAnnotations();
    String v = a == null ? null : a.get(key);
    if (v == null) {
      return otherwise;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      return otherwise;
    }
  }
}
