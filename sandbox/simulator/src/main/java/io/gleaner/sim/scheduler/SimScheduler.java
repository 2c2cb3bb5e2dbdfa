package io.gleaner.sim.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.meta.resources.Resources;
import io.gleaner.sim.apiserver.ApiException;
import io.gleaner.sim.apiserver.EventRecorder;
import io.gleaner.sim.apiserver.ObjectStore;
import io.gleaner.sim.apiserver.PodSubresources;
import io.gleaner.sim.apiserver.ResourceTypes;
import io.gleaner.sim.controller.EphemeralVolumes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * A kube-scheduler for a simulated cluster. Event driven: it watches pods, nodes (and PodGroups
 * with Volcano on) in the cluster's store, keeps its own cache indexed by node, and runs a
 * scheduling cycle on the shared executor whenever something changed, plus a periodic retry while
 * pods are pending.
 *
 * <p>A cycle binds pending pods (no node, not terminating, {@code schedulerName} one of ours)
 * highest priority first, where they fit (requests incl. extended resources, nodeSelector, required
 * node affinity, taints), least- or most-allocated first. A pod that fits nowhere gets {@code
 * PodScheduled=False/ Unschedulable} and a {@code FailedScheduling} event in kube-scheduler's
 * wording, and may preempt lower-priority pods (status {@code nominatedNodeName}, victims deleted
 * with their grace period). Pods of a Volcano PodGroup are bound only all-or-nothing, once {@code
 * minMember} of them fit. A pod with scheduling gates is not tried until its last gate is removed
 * (kube-scheduler's SchedulingGates pre-enqueue check): it gets no condition or event from the
 * scheduler, only the {@code PodScheduled=False/SchedulingGated} the API server gave it.
 */
public final class SimScheduler implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SimScheduler.class);
  private static final ObjectMapper MAPPER = Serialization.jsonMapper();
  public static final String DEFAULT_SCHEDULER = "default-scheduler";
  public static final String VOLCANO_SCHEDULER = "volcano";

  /** How to rank nodes that fit. */
  public enum Scoring {
    /** Spread: prefer the node with the most free share (kube-scheduler's default). */
    LEAST_ALLOCATED,
    /** Bin-pack: prefer the fullest node (Volcano binpack, clusters that consolidate). */
    MOST_ALLOCATED
  }

  /** Scheduler settings. */
  public record Options(boolean preemption, Scoring scoring, boolean volcano) {}

  private final String cluster;
  private final ObjectStore store;
  private final ScheduledExecutorService executor;
  private final Options options;
  private final EventRecorder events;
  private final PodGroupStatus podGroups;
  private final ConcurrentLinkedQueue<ObjectStore.WatchEvent> inbox = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean queued = new AtomicBoolean();
  private final Object loopLock = new Object();
  private final List<ObjectStore.Subscription> subscriptions = new ArrayList<>();
  private final AtomicLong cycles = new AtomicLong();
  private final AtomicLong binds = new AtomicLong();
  private volatile boolean closed;
  private volatile boolean retryRequested;
  private ScheduledFuture<?> retry;

  // Cache: touched only inside the loop (serialised by loopLock).
  private final Map<String, NodeInfo> nodes = new LinkedHashMap<>();
  private final Map<String, PodInfo> pods = new HashMap<>();
  private final Set<String> pending = new LinkedHashSet<>();
  private final Map<String, String> lastMessage = new HashMap<>();
  private boolean dirty = true;

  public SimScheduler(
      String cluster, ObjectStore store, ScheduledExecutorService executor, Options options) {
    this.cluster = cluster;
    this.store = Objects.requireNonNull(store, "store");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.options = Objects.requireNonNull(options, "options");
    this.events = new EventRecorder(store, DEFAULT_SCHEDULER, null);
    this.podGroups = new PodGroupStatus(store);
  }

  /** Subscribes to the store and starts the periodic retry. */
  public void start() {
    ObjectStore.Watcher w =
        e -> {
          inbox.add(e);
          request();
        };
    subscriptions.add(store.watch(ResourceTypes.NODES, null, o -> true, null, w));
    subscriptions.add(store.watch(ResourceTypes.PODS, null, o -> true, null, w));
    if (options.volcano()) {
      subscriptions.add(store.watch(ResourceTypes.PODGROUPS, null, o -> true, null, w));
    }
    retry =
        executor.scheduleWithFixedDelay(
            () -> {
              retryRequested = true;
              request();
            },
            1,
            1,
            TimeUnit.SECONDS);
  }

  /** Asks for a scheduling cycle soon (coalesced). */
  public void request() {
    if (!closed && queued.compareAndSet(false, true)) {
      try {
        executor.execute(this::loop);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        queued.set(false);
      }
    }
  }

  /** Number of scheduling cycles run (for tests and benchmarks). */
  public long cycles() {
    return cycles.get();
  }

  /** Number of pods bound so far. */
  public long binds() {
    return binds.get();
  }

  private void loop() {
    synchronized (loopLock) {
      queued.set(false);
      if (closed) {
        return;
      }
      MDC.put("cluster", cluster);
      try {
        drain();
        boolean retrying = retryRequested && !pending.isEmpty();
        retryRequested = false;
        if (!dirty && !retrying) {
          return;
        }
        dirty = false;
        cycle();
        cycles.incrementAndGet();
      } catch (RuntimeException e) {
        LOG.warn("scheduling cycle failed in cluster {}", cluster, e);
      } finally {
        MDC.remove("cluster");
      }
    }
  }

  private void drain() {
    ObjectStore.WatchEvent e;
    while ((e = inbox.poll()) != null) {
      dirty = true;
      if (e.resourceType().equals(ResourceTypes.NODES)) {
        applyNode(e);
      } else if (e.resourceType().equals(ResourceTypes.PODS)) {
        applyPod(e.type(), e.object());
      } else {
        podGroups.touch(e.object());
      }
    }
  }

  private void applyNode(ObjectStore.WatchEvent e) {
    String name = e.object().path("metadata").path("name").asText();
    if (e.type().equals(ObjectStore.DELETED)) {
      nodes.remove(name);
      return;
    }
    NodeInfo info = nodes.get(name);
    if (info != null) {
      info.update(e.object());
      return;
    }
    info = new NodeInfo(e.object());
    nodes.put(name, info);
    for (PodInfo p : pods.values()) {
      if (p.occupiesNode() && name.equals(p.nodeName())) {
        info.addPod(p);
      }
    }
  }

  private void applyPod(String type, JsonNode object) {
    String key =
        object.path("metadata").path("namespace").asText()
            + "/"
            + object.path("metadata").path("name").asText();
    PodInfo old = pods.remove(key);
    if (old != null && old.nodeName() != null) {
      NodeInfo n = nodes.get(old.nodeName());
      if (n != null) {
        n.removePod(key);
      }
    }
    pending.remove(key);
    if (type.equals(ObjectStore.DELETED)) {
      lastMessage.remove(key);
      podGroups.touch(object);
      return;
    }
    PodInfo info = PodInfo.of(object);
    track(info);
    if (info.groupName() != null) {
      podGroups.touch(object);
    }
  }

  private void track(PodInfo info) {
    pods.put(info.key(), info);
    if (info.occupiesNode()) {
      NodeInfo n = nodes.get(info.nodeName());
      if (n != null) {
        n.addPod(info);
      }
    } else if (info.nodeName() == null
        && !info.terminating()
        && !info.terminal()
        && !info.gated()
        && responsible(info)) {
      pending.add(info.key());
    }
  }

  private boolean responsible(PodInfo p) {
    return p.schedulerName().equals(DEFAULT_SCHEDULER)
        || (options.volcano() && p.schedulerName().equals(VOLCANO_SCHEDULER));
  }

  // ---------------------------------------------------------------------------------------------
  // the cycle

  private void cycle() {
    indexNominated();
    List<PodInfo> queue = new ArrayList<>();
    for (String key : pending) {
      queue.add(pods.get(key));
    }
    queue.sort(
        Comparator.comparingInt(PodInfo::priority)
            .reversed()
            .thenComparing(PodInfo::created)
            .thenComparing(PodInfo::key));
    Map<String, List<PodInfo>> gangs = new LinkedHashMap<>();
    for (PodInfo p : queue) {
      if (options.volcano() && p.groupName() != null) {
        gangs.computeIfAbsent(p.namespace() + "/" + p.groupName(), k -> new ArrayList<>()).add(p);
      } else {
        schedule(p);
      }
    }
    for (Map.Entry<String, List<PodInfo>> g : gangs.entrySet()) {
      scheduleGang(g.getKey(), g.getValue());
    }
    if (options.volcano()) {
      podGroups.update(pods.values(), nodes.values());
    }
  }

  /** Pending pods nominated to each node (recomputed once per cycle). */
  private Map<String, List<PodInfo>> nominated = Map.of();

  private void indexNominated() {
    Map<String, List<PodInfo>> byNode = new HashMap<>();
    for (String key : pending) {
      PodInfo p = pods.get(key);
      if (p != null && p.nominatedNodeName() != null) {
        byNode.computeIfAbsent(p.nominatedNodeName(), k -> new ArrayList<>()).add(p);
      }
    }
    nominated = byNode;
  }

  private Resources nominatedReserve(NodeInfo node, PodInfo pod) {
    List<PodInfo> onNode = nominated.get(node.name());
    if (onNode == null) {
      return Resources.ZERO;
    }
    Resources r = Resources.ZERO;
    for (PodInfo p : onNode) {
      if (pending.contains(p.key())
          && !p.key().equals(pod.key())
          && p.priority() >= pod.priority()) {
        r = r.plus(p.requests());
      }
    }
    return r;
  }

  private void schedule(PodInfo pod) {
    String claims = claimsNotReady(pod);
    if (claims != null) {
      String postFilter =
          pod.preemptNever()
              ? "preemption: not eligible due to preemptionPolicy=Never."
              : "preemption: 0/"
                  + nodes.size()
                  + " nodes are available: "
                  + nodes.size()
                  + " Preemption is not helpful for scheduling.";
      unschedulable(
          pod, "0/" + nodes.size() + " nodes are available: " + claims + ". " + postFilter, null);
      return;
    }
    Map<String, Integer> histogram = new HashMap<>();
    NodeInfo best = null;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (NodeInfo node : nodes.values()) {
      Fit.Result r = Fit.check(pod, node, nominatedReserve(node, pod));
      if (!r.fits()) {
        for (String reason : r.reasons()) {
          histogram.merge(reason, 1, Integer::sum);
        }
        continue;
      }
      double score = score(pod, node);
      if (score > bestScore) {
        best = node;
        bestScore = score;
      }
    }
    if (best != null) {
      bind(pod, best);
      return;
    }
    String postFilter = null;
    String nominate = null;
    if (options.preemption()) {
      if (pod.preemptNever()) {
        postFilter = "preemption: not eligible due to preemptionPolicy=Never.";
      } else if (pod.nominatedNodeName() != null
          && terminatingLowerPriorityOn(pod.nominatedNodeName(), pod)) {
        postFilter = "preemption: not eligible due to a terminating pod on the nominated node.";
        nominate = pod.nominatedNodeName();
      } else {
        Preemption.Outcome outcome =
            Preemption.select(pod, nodes.values(), n -> nominatedReserve(n, pod));
        if (outcome.chosen() != null) {
          preempt(pod, outcome.chosen());
          nominate = outcome.chosen().node().name();
        } else {
          postFilter = Fit.preemptionMessage(nodes.size(), outcome.histogram());
        }
      }
    }
    unschedulable(pod, Fit.message(nodes.size(), histogram, postFilter), nominate);
  }

  /**
   * VolumeBinding's pre-filter for generic ephemeral volumes: why the pod's claims are not ready
   * (the ephemeral volume controller has not created one yet, or one is not the pod's), null when
   * they are. Retried with the periodic retry.
   */
  private String claimsNotReady(PodInfo pod) {
    for (String name : EphemeralVolumes.claimNames(pod.json())) {
      ObjectNode claim = store.get(ResourceTypes.PVCS, pod.namespace(), name);
      if (claim == null) {
        return "waiting for ephemeral volume controller to create the persistentvolumeclaim \""
            + name
            + "\"";
      }
      boolean owned = false;
      for (JsonNode o : claim.path("metadata").path("ownerReferences")) {
        owned |= o.path("controller").asBoolean(false) && pod.uid().equals(o.path("uid").asText());
      }
      if (!owned) {
        return "PVC "
            + pod.namespace()
            + "/"
            + name
            + " was not created for pod "
            + pod.key()
            + " (pod is not owner)";
      }
    }
    return null;
  }

  private boolean terminatingLowerPriorityOn(String nodeName, PodInfo pod) {
    NodeInfo n = nodes.get(nodeName);
    if (n == null) {
      return false;
    }
    for (PodInfo p : n.pods().values()) {
      if (p.terminating() && p.priority() < pod.priority()) {
        return true;
      }
    }
    return false;
  }

  private double score(PodInfo pod, NodeInfo node) {
    Resources after = node.requested().plus(pod.requests());
    double free = 0;
    int n = 0;
    for (String r : List.of(Resources.CPU, Resources.MEMORY)) {
      long alloc = node.allocatable().get(r);
      if (alloc > 0) {
        free += (double) (alloc - after.get(r)) / alloc;
        n++;
      }
    }
    double freeShare = n == 0 ? 0 : free / n;
    return options.scoring() == Scoring.LEAST_ALLOCATED ? freeShare : -freeShare;
  }

  private boolean bind(PodInfo pod, NodeInfo node) {
    ObjectNode bound =
        store.mutate(
            ResourceTypes.PODS,
            pod.namespace(),
            pod.name(),
            p -> {
              JsonNode meta = p.path("metadata");
              if (!meta.path("uid").asText().equals(pod.uid())
                  || meta.has("deletionTimestamp")
                  || !p.path("spec").path("nodeName").asText("").isEmpty()) {
                return null;
              }
              p.with("spec").put("nodeName", node.name());
              p.with("status").remove("nominatedNodeName");
              PodSubresources.setCondition(
                  p, "PodScheduled", "True", null, null, store.clock().instant());
              return p;
            });
    pending.remove(pod.key());
    if (bound == null) {
      return false;
    }
    binds.incrementAndGet();
    lastMessage.remove(pod.key());
    PodInfo assumed = PodInfo.of(bound);
    pods.put(assumed.key(), assumed);
    node.addPod(assumed);
    events.record(
        bound,
        "Normal",
        "Scheduled",
        "Successfully assigned " + pod.namespace() + "/" + pod.name() + " to " + node.name());
    return true;
  }

  private void preempt(PodInfo pod, Preemption.Candidate candidate) {
    for (PodInfo victim : candidate.victims()) {
      try {
        ObjectNode v =
            store.mutate(
                ResourceTypes.PODS,
                victim.namespace(),
                victim.name(),
                p -> {
                  if (!p.path("metadata").path("uid").asText().equals(victim.uid())) {
                    return null;
                  }
                  PodSubresources.setCondition(
                      p,
                      "DisruptionTarget",
                      "True",
                      "PreemptionByScheduler",
                      DEFAULT_SCHEDULER + ": preempting to accommodate a higher priority pod",
                      store.clock().instant());
                  return p;
                });
        ObjectNode deleted =
            store.delete(
                ResourceTypes.PODS,
                victim.namespace(),
                victim.name(),
                ObjectStore.DeleteOptions.DEFAULT);
        events.record(
            v != null ? v : deleted,
            "Normal",
            "Preempted",
            "Preempted by "
                + pod.namespace()
                + "/"
                + pod.name()
                + " on node "
                + candidate.node().name());
        LOG.info(
            "cluster {}: preempting {} on {} for {}",
            cluster,
            victim.key(),
            candidate.node().name(),
            pod.key());
      } catch (ApiException e) {
        if (e.code() != 404) {
          throw e;
        }
      }
    }
  }

  private void unschedulable(PodInfo pod, String message, String nominate) {
    boolean changed =
        !message.equals(lastMessage.get(pod.key()))
            || !Objects.equals(nominate, pod.nominatedNodeName()) && nominate != null;
    if (!changed) {
      return;
    }
    lastMessage.put(pod.key(), message);
    ObjectNode updated =
        store.mutate(
            ResourceTypes.PODS,
            pod.namespace(),
            pod.name(),
            p -> {
              if (!p.path("metadata").path("uid").asText().equals(pod.uid())
                  || !p.path("spec").path("nodeName").asText("").isEmpty()) {
                return null;
              }
              PodSubresources.setCondition(
                  p, "PodScheduled", "False", "Unschedulable", message, store.clock().instant());
              if (nominate != null) {
                p.with("status").put("nominatedNodeName", nominate);
              }
              return p;
            });
    ObjectNode about =
        updated != null ? updated : store.get(ResourceTypes.PODS, pod.namespace(), pod.name());
    if (about != null) {
      events.record(about, "Warning", "FailedScheduling", message);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // gangs

  private void scheduleGang(String groupKey, List<PodInfo> waiting) {
    String ns = waiting.get(0).namespace();
    String group = waiting.get(0).groupName();
    JsonNode pg = store.get(ResourceTypes.PODGROUPS, ns, group);
    int minMember =
        pg == null ? waiting.size() : Math.max(1, pg.path("spec").path("minMember").asInt(1));
    int placedAlready = 0;
    for (PodInfo p : pods.values()) {
      if (group.equals(p.groupName())
          && ns.equals(p.namespace())
          && p.occupiesNode()
          && !p.terminating()) {
        placedAlready++;
      }
    }
    if (pg == null) {
      for (PodInfo p : waiting) {
        unschedulable(p, "pod group " + group + " not found", null);
      }
      return;
    }
    // Try to place every waiting member on a scratch copy of the node accounting.
    Map<String, Resources> extra = new HashMap<>();
    Map<PodInfo, NodeInfo> plan = new LinkedHashMap<>();
    Map<String, Integer> histogram = new HashMap<>();
    for (PodInfo p : waiting) {
      NodeInfo best = null;
      double bestScore = Double.NEGATIVE_INFINITY;
      for (NodeInfo node : nodes.values()) {
        Resources reserved =
            extra.getOrDefault(node.name(), Resources.ZERO).plus(nominatedReserve(node, p));
        Fit.Result r = Fit.check(p, node, reserved);
        if (!r.fits()) {
          if (plan.isEmpty()) {
            r.reasons().forEach(reason -> histogram.merge(reason, 1, Integer::sum));
          }
          continue;
        }
        double s = score(p, node);
        if (s > bestScore) {
          best = node;
          bestScore = s;
        }
      }
      if (best != null) {
        plan.put(p, best);
        extra.merge(best.name(), p.requests(), Resources::plus);
      }
    }
    if (placedAlready + plan.size() >= minMember) {
      plan.forEach(this::bind);
      return;
    }
    int total = placedAlready + waiting.size();
    String message =
        (waiting.size() - plan.size())
            + "/"
            + waiting.size()
            + " tasks in gang unschedulable: pod group is"
            + " not ready, "
            + total
            + " Pending, "
            + minMember
            + " minAvailable; Pending: "
            + waiting.size()
            + " Unschedulable";
    String nodesMessage = Fit.message(nodes.size(), histogram, null);
    for (PodInfo p : waiting) {
      unschedulable(p, plan.containsKey(p) ? message : nodesMessage, null);
    }
    podGroups.unschedulable(ns, group, message);
  }

  @Override
  public void close() {
    closed = true;
    if (retry != null) {
      retry.cancel(false);
    }
    subscriptions.forEach(ObjectStore.Subscription::close);
  }

  /** Names of pending pods the scheduler currently knows (for diagnostics and tests). */
  public Set<String> pendingPods() {
    synchronized (loopLock) {
      return new HashSet<>(pending);
    }
  }
}
