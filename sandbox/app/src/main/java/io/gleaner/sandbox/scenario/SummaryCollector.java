package io.gleaner.sandbox.scenario;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.resources.Resources;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples the clusters of a sandbox run through their APIs, as an outside observer would, and
 * builds the {@link SandboxSummary}: what was submitted, placed, run and reclaimed, what it cost
 * online work, and how much capacity was harvested per source.
 *
 * <p>Call {@link #sample()} periodically (every second of real time is plenty) and {@link
 * #recordReclaimLatency} for every reclaim event; {@link #summary()} may be called at any time.
 */
public final class SummaryCollector {
  private static final Logger log = LoggerFactory.getLogger(SummaryCollector.class);
  public static final String VIRTUAL_NODE_SELECTOR_KEY = "type";

  private final KubernetesClient meta;
  private final Supplier<Map<String, KubernetesClient>> members;
  private final Clock clock;
  private final long startMillis;
  private long lastSampleMillis;

  private final Map<String, Map<String, Set<String>>> metaPodsSeen =
      new HashMap<>(); // class -> state -> uids
  private final Map<String, Set<String>> memberPodsBySource = new HashMap<>();
  private final Set<String> reclaimedMetaPods = new HashSet<>();
  private final Map<String, Double> coreHours = new TreeMap<>();
  private final Map<String, Long> onlineUnschedulableSince = new HashMap<>();
  private final Map<String, Long> onlineDelays = new HashMap<>();
  private final List<Double> reclaimLatencies = Collections.synchronizedList(new ArrayList<>());
  private final Set<String> reclaimIds = ConcurrentHashMap.newKeySet();
  private long pendingUnschedulable;
  private long pendingUnschedulableMax;

  public SummaryCollector(
      KubernetesClient meta, Supplier<Map<String, KubernetesClient>> members, Clock clock) {
    this.meta = Objects.requireNonNull(meta, "meta");
    this.members = Objects.requireNonNull(members, "members");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.startMillis = clock.millis();
    this.lastSampleMillis = startMillis;
  }

  /**
   * Records one reclaim event's latency (online pod Unschedulable → evictions issued), once per
   * event id.
   */
  public void recordReclaimLatency(String eventId, double latencyMs) {
    if (reclaimIds.add(eventId) && latencyMs >= 0) {
      reclaimLatencies.add(latencyMs);
    }
  }

  /** One look at every cluster. */
  public synchronized void sample() {
    long now = clock.millis();
    double hours = Math.max(0, now - lastSampleMillis) / 3_600_000.0;
    lastSampleMillis = now;
    sampleMeta();
    long pending = 0;
    for (Map.Entry<String, KubernetesClient> e : members.get().entrySet()) {
      try {
        pending += sampleMember(e.getKey(), e.getValue(), now, hours);
      } catch (RuntimeException ex) {
        log.debug("summary: member {} not sampled: {}", e.getKey(), ex.toString());
      }
    }
    pendingUnschedulable = pending;
    pendingUnschedulableMax = Math.max(pendingUnschedulableMax, pending);
  }

  private void sampleMeta() {
    for (Pod p : meta.pods().inAnyNamespace().list().getItems()) {
      if (!targetsVirtualNode(p)) {
        continue;
      }
      String cls =
          p.getMetadata().getLabels() == null
              ? null
              : p.getMetadata().getLabels().get(GleanerKeys.CLASS);
      cls = cls == null ? "offline" : cls;
      String uid = p.getMetadata().getUid();
      Map<String, Set<String>> states = metaPodsSeen.computeIfAbsent(cls, k -> new HashMap<>());
      states.computeIfAbsent("submitted", k -> new HashSet<>()).add(uid);
      String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
      if (p.getSpec().getNodeName() != null && isPlaced(p)) {
        states.computeIfAbsent("placed", k -> new HashSet<>()).add(uid);
      }
      if ("Running".equals(phase)) {
        states.computeIfAbsent("running", k -> new HashSet<>()).add(uid);
      } else if ("Succeeded".equals(phase)) {
        states.computeIfAbsent("completed", k -> new HashSet<>()).add(uid);
      } else if ("Failed".equals(phase) && "Reclaimed".equals(p.getStatus().getReason())) {
        reclaimedMetaPods.add(uid);
      }
    }
  }

  private static boolean isPlaced(Pod p) {
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    return "Running".equals(phase)
        || "Succeeded".equals(phase)
        || (p.getStatus() != null && p.getStatus().getHostIP() != null);
  }

  private static boolean targetsVirtualNode(Pod p) {
    Map<String, String> sel = p.getSpec() == null ? null : p.getSpec().getNodeSelector();
    return (sel != null && "virtual-kubelet".equals(sel.get(VIRTUAL_NODE_SELECTOR_KEY)))
        || (p.getMetadata().getLabels() != null
            && p.getMetadata().getLabels().containsKey(GleanerKeys.CLASS));
  }

  private long sampleMember(String cluster, KubernetesClient client, long now, double hours) {
    long pending = 0;
    for (Pod p : client.pods().inAnyNamespace().list().getItems()) {
      Map<String, String> labels =
          p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels();
      String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
      String key = cluster + "/" + p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
      if ("true".equals(labels.get(GleanerKeys.MANAGED))) {
        String source =
            labels.getOrDefault(GleanerKeys.SOURCE, "UNKNOWN").toUpperCase(java.util.Locale.ROOT);
        memberPodsBySource.computeIfAbsent(source, k -> new HashSet<>()).add(key);
        if ("Running".equals(phase)) {
          coreHours.merge(source, cpuCores(p) * hours, Double::sum);
        }
        if ("Pending".equals(phase)
            && unschedulable(p)
            && p.getMetadata().getDeletionTimestamp() == null) {
          pending++;
        }
      } else if (p.getMetadata().getOwnerReferences() == null
          || p.getMetadata().getOwnerReferences().stream()
              .noneMatch(o -> "DaemonSet".equals(o.getKind()))) {
        if ("Pending".equals(phase) && unschedulable(p)) {
          onlineUnschedulableSince.putIfAbsent(key, now);
        } else if ("Running".equals(phase)
            && onlineUnschedulableSince.containsKey(key)
            && !onlineDelays.containsKey(key)) {
          onlineDelays.put(key, now - onlineUnschedulableSince.get(key));
        }
      }
    }
    return pending;
  }

  private static boolean unschedulable(Pod p) {
    if (p.getStatus() == null || p.getStatus().getConditions() == null) {
      return false;
    }
    for (PodCondition c : p.getStatus().getConditions()) {
      if ("PodScheduled".equals(c.getType())
          && "False".equals(c.getStatus())
          && "Unschedulable".equals(c.getReason())) {
        return true;
      }
    }
    return false;
  }

  private static double cpuCores(Pod p) {
    Resources sum = Resources.ZERO;
    for (var c : p.getSpec().getContainers()) {
      if (c.getResources() != null && c.getResources().getRequests() != null) {
        sum = sum.plus(Resources.fromQuantities(c.getResources().getRequests()));
      }
    }
    long milli = sum.cpuMillis() > 0 ? sum.cpuMillis() : sum.get(Resources.BATCH_CPU);
    return milli / 1000.0;
  }

  /** The summary so far. */
  public synchronized SandboxSummary summary() {
    Map<String, Map<String, Long>> byClass = new TreeMap<>();
    metaPodsSeen.forEach(
        (cls, states) -> {
          Map<String, Long> counts = new TreeMap<>();
          for (String s : List.of("submitted", "placed", "running", "completed")) {
            counts.put(s, (long) states.getOrDefault(s, Set.of()).size());
          }
          byClass.put(cls, counts);
        });
    Map<String, Long> bySource = new TreeMap<>();
    for (String s : List.of("IDLE", "VOLCANO", "COLOCATION", "ELASTIC")) {
      bySource.put(s, (long) memberPodsBySource.getOrDefault(s, Set.of()).size());
    }
    Map<String, Double> hours = new TreeMap<>();
    for (String s : List.of("IDLE", "VOLCANO", "COLOCATION", "ELASTIC")) {
      hours.put(s, Math.round(coreHours.getOrDefault(s, 0.0) * 100.0) / 100.0);
    }
    List<Double> latencies;
    synchronized (reclaimLatencies) {
      latencies = new ArrayList<>(reclaimLatencies);
    }
    List<Double> delays = onlineDelays.values().stream().map(ms -> ms / 1000.0).sorted().toList();
    return new SandboxSummary(
        (clock.millis() - startMillis) / 1000,
        byClass,
        bySource,
        reclaimedMetaPods.size(),
        pendingUnschedulable,
        pendingUnschedulableMax,
        latencies.size(),
        percentile(latencies, 50),
        percentile(latencies, 99),
        hours,
        delays.size(),
        percentile(delays, 50),
        delays.isEmpty() ? 0 : delays.get(delays.size() - 1));
  }

  static double percentile(List<Double> values, double p) {
    if (values.isEmpty()) {
      return 0;
    }
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int idx = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, idx)));
  }
}
