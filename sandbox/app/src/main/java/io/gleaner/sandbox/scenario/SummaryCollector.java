package io.gleaner.sandbox.scenario;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.v1.Capacity;
import io.gleaner.api.v1.ClusterCapacity;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.resources.Resources;
import io.gleaner.sandbox.invariants.GleanerRoom;
import io.gleaner.sim.accounting.LendableCapacity;
import io.gleaner.sim.accounting.ResourceHours;
import io.gleaner.sim.scheduler.PodInfo;
import java.time.Clock;
import java.time.Duration;
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
 * online work, and how much capacity was harvested per source against how much could have been
 * ({@link HarvestAccounting}).
 *
 * <p>Call {@link #sample()} periodically (every second of real time is plenty) and {@link
 * #recordReclaim} for every reclaim event; {@link #summary()} may be called at any time.
 */
public final class SummaryCollector {
  private static final Logger log = LoggerFactory.getLogger(SummaryCollector.class);
  public static final String VIRTUAL_NODE_SELECTOR_KEY = "type";

  private final KubernetesClient meta;
  private final Supplier<Map<String, KubernetesClient>> members;
  private final Clock clock;
  private final Map<String, Set<MemberRole>> roles;
  private final LendableCapacity.Settings lendableSettings;
  private final long startMillis;
  private long lastSampleMillis;

  private final Map<String, Map<String, Set<String>>> metaPodsSeen =
      new HashMap<>(); // class -> state -> uids
  private final Map<String, Set<String>> memberPodsBySource = new HashMap<>();
  private final Set<String> reclaimedMetaPods = new HashSet<>();
  private final ResourceHours harvested;
  private final ResourceHours lendable;
  private final ResourceHours byMemberPod;
  private final Set<String> evictedMemberPods = ConcurrentHashMap.newKeySet();
  private final Map<String, Long> onlineUnschedulableSince = new HashMap<>();

  /**
   * The online pods of {@link #onlineUnschedulableSince} that, at some sample, had Gleaner's pods
   * in their way: on some node of their member they fit without Gleaner's pods and not with them
   * (the criterion of the invariant {@code online_pod_held_back}).
   */
  private final Set<String> onlineHeldByGleaner = new HashSet<>();

  private final Map<String, Long> onlineDelays = new HashMap<>();
  private final List<Double> reclaimLatencies = Collections.synchronizedList(new ArrayList<>());
  private final Set<String> reclaimIds = ConcurrentHashMap.newKeySet();
  private long pendingUnschedulable;
  private long pendingUnschedulableMax;
  private final ResourceHours funnel;
  private Supplier<Capacity> brokerCapacity = () -> null;
  private final Map<String, Long> backlogMin = new TreeMap<>();
  private final Map<String, Long> backlogLast = new TreeMap<>();
  private long backlogSamples;
  private long backlogDrySamples;
  private TeamCoreHours teamHours;
  private Map<String, Long> waitingByTeam = Map.of();

  /**
   * How long after the first of a gang's metadata pods is seen reclaimed the rest must be too for
   * the gang to count as reclaimed whole: the invariant {@code partial_gang}'s grace.
   */
  public static final Duration GANG_RECLAIM_SPAN = Duration.ofSeconds(30);

  private final GangReclaims gangReclaims = new GangReclaims(GANG_RECLAIM_SPAN);
  private final Set<String> gangVerdictsLogged = new HashSet<>();

  public SummaryCollector(
      KubernetesClient meta, Supplier<Map<String, KubernetesClient>> members, Clock clock) {
    this(meta, members, clock, Map.of(), LendableCapacity.Settings.DEFAULTS);
  }

  /**
   * @param roles each member's roles, which decide the sources its nodes could lend to; a member
   *     without roles counts no lendable capacity
   * @param lendableSettings the policy figures (margins, idle thresholds, headroom) of the ground
   *     truth
   */
  public SummaryCollector(
      KubernetesClient meta,
      Supplier<Map<String, KubernetesClient>> members,
      Clock clock,
      Map<String, Set<MemberRole>> roles,
      LendableCapacity.Settings lendableSettings) {
    this.meta = Objects.requireNonNull(meta, "meta");
    this.members = Objects.requireNonNull(members, "members");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.roles = Map.copyOf(roles);
    this.lendableSettings = Objects.requireNonNull(lendableSettings, "lendableSettings");
    this.startMillis = clock.millis();
    this.lastSampleMillis = startMillis;
    this.harvested = new ResourceHours(startMillis);
    this.lendable = new ResourceHours(startMillis);
    this.byMemberPod = new ResourceHours(startMillis);
    this.funnel = new ResourceHours(startMillis);
  }

  /**
   * Also accounts the harvest per team, for {@link SandboxSummary#teams()}: each team's weight, by
   * name; the team of a pod is the one named as its metadata namespace (as the sandbox declares its
   * teams, one namespace each). A team is backlogged at a sample when some pod of it waits that the
   * virtual node has not taken yet (Pending and bound to no node: held at the fair-share gate).
   */
  public SummaryCollector withTeams(Map<String, Double> weights) {
    this.teamHours = weights.isEmpty() ? null : new TeamCoreHours(weights, startMillis);
    return this;
  }

  /**
   * Also samples the broker's capacity (its ledger: what the idle-detector offered, what the
   * margins leave, what was placed) at every sample, for {@link SandboxSummary#harvestFunnel()}.
   */
  public SummaryCollector withBrokerCapacity(Supplier<Capacity> capacity) {
    this.brokerCapacity = Objects.requireNonNull(capacity, "capacity");
    return this;
  }

  /**
   * Records one reclaim event's latency (online pod Unschedulable → evictions issued), once per
   * event id.
   */
  public void recordReclaimLatency(String eventId, double latencyMs) {
    recordReclaim(eventId, null, List.of(), latencyMs);
  }

  /**
   * Records one reclaim event once per id: its latency (online pod Unschedulable → evictions
   * issued; negative when unknown) and its victims, the member pods ({@code namespace/name}) it
   * evicted in {@code cluster}, whose run so far is wasted.
   */
  public void recordReclaim(
      String eventId, String cluster, List<String> victims, double latencyMs) {
    if (reclaimIds.add(eventId) && latencyMs >= 0) {
      reclaimLatencies.add(latencyMs);
    }
    if (cluster != null) {
      for (String v : victims) {
        evictedMemberPods.add(cluster + "/" + v);
      }
    }
  }

  /** One look at every cluster. */
  public synchronized void sample() {
    long now = clock.millis();
    double hours = Math.max(0, now - lastSampleMillis) / 3_600_000.0;
    lastSampleMillis = now;
    Resources boundNotPlaced = sampleMeta();
    long pending = 0;
    Map<String, Resources> lendableNow = new TreeMap<>();
    Map<String, Resources> funnelNow = new TreeMap<>();
    Map<String, Long> teamCpuNow = new TreeMap<>();
    funnelNow.put(HarvestAccounting.TOTAL + "/" + FUNNEL_BOUND_NOT_PLACED, boundNotPlaced);
    for (Map.Entry<String, KubernetesClient> e : members.get().entrySet()) {
      try {
        List<Pod> pods = e.getValue().pods().inAnyNamespace().list().getItems();
        List<Node> nodes = e.getValue().nodes().list().getItems();
        pending += sampleMember(e.getKey(), pods, nodes, now, hours, teamCpuNow);
        Set<MemberRole> memberRoles = roles.getOrDefault(e.getKey(), Set.of());
        if (!memberRoles.isEmpty()) {
          lendableOf(e.getValue(), memberRoles, nodes, pods, lendableNow, funnelNow);
        }
      } catch (RuntimeException ex) {
        log.debug("summary: member {} not sampled: {}", e.getKey(), ex.toString());
      }
    }
    lendable.sample(now, lendableNow);
    if (teamHours != null) {
      teamHours.sample(now, waitingByTeam, teamCpuNow);
    }
    sampleBroker(funnelNow);
    funnel.sample(now, funnelNow);
    pendingUnschedulable = pending;
    pendingUnschedulableMax = Math.max(pendingUnschedulableMax, pending);
  }

  /** What the broker's ledger holds per source: offered, after the margins, placed. */
  private void sampleBroker(Map<String, Resources> funnelNow) {
    Capacity c;
    try {
      c = brokerCapacity.get();
    } catch (RuntimeException ex) {
      log.debug("summary: broker capacity not sampled: {}", ex.toString());
      return;
    }
    if (c == null) {
      return;
    }
    funnelNow.merge(
        HarvestAccounting.TOTAL + "/" + FUNNEL_ADVERTISED,
        cpuAndGpus(c.getAdvertisedMap()),
        Resources::plus);
    for (ClusterCapacity cc : c.getClustersList()) {
      String source = cc.getSource().name();
      if (!cc.getHealthy() || !SOURCES.contains(source)) {
        continue;
      }
      Resources offered = cpuAndGpus(cc.getOfferedMap());
      Resources taken = cpuAndGpus(cc.getPlacedMap()).plus(cpuAndGpus(cc.getReservedMap()));
      funnelNow.merge(source + "/" + FUNNEL_OFFERED, offered, Resources::plus);
      funnelNow.merge(
          source + "/" + FUNNEL_AFTER_MARGIN,
          taken.plus(cpuAndGpus(cc.getFreeMap())),
          Resources::plus);
      funnelNow.merge(source + "/" + FUNNEL_PLACED, taken, Resources::plus);
    }
  }

  private static Resources cpuAndGpus(Map<String, String> quantities) {
    Resources r = Resources.parse(quantities);
    return Resources.builder()
        .putCanonical(Resources.CPU, r.cpuMillis())
        .putCanonical(Resources.GPU, r.gpus())
        .build();
  }

  private Resources sampleMeta() {
    Resources boundNotPlaced = Resources.ZERO;
    Map<String, Long> waiting = new TreeMap<>();
    for (ScenarioDriver.Kind k : ScenarioDriver.Kind.values()) {
      waiting.put(k.name(), 0L);
    }
    Map<String, Long> waitingByTeam = new TreeMap<>();
    long wallMillis = System.nanoTime() / 1_000_000;
    for (Pod p : meta.pods().inAnyNamespace().list().getItems()) {
      if (!targetsVirtualNode(p)) {
        continue;
      }
      String gang = gangOf(p);
      if (gang != null) {
        gangReclaims.seen(
            gang,
            p.getMetadata().getUid(),
            p.getStatus() == null ? null : p.getStatus().getPhase(),
            p.getStatus() == null ? null : p.getStatus().getReason(),
            wallMillis);
      }
      String phaseNow = p.getStatus() == null ? null : p.getStatus().getPhase();
      if ((phaseNow == null || "Pending".equals(phaseNow))
          && (p.getStatus() == null || p.getStatus().getHostIP() == null)
          && p.getMetadata().getDeletionTimestamp() == null
          && p.getSpec().getNodeName() != null) {
        boundNotPlaced = boundNotPlaced.plus(harvestedRate(p));
      }
      if ((phaseNow == null || "Pending".equals(phaseNow))
          && (p.getStatus() == null || p.getStatus().getHostIP() == null)
          && p.getMetadata().getDeletionTimestamp() == null) {
        waiting.merge(
            ScenarioDriver.Kind.of(p.getSpec(), p.getMetadata().getLabels()).name(), 1L, Long::sum);
        if (p.getSpec().getNodeName() == null) {
          // not yet taken by the virtual node: held at the fair-share gate (or, without it, not
          // scheduled); a pod bound to it has had its room and is on its way to a member
          waitingByTeam.merge(p.getMetadata().getNamespace(), 1L, Long::sum);
        }
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
    gangReclaims.judge(wallMillis);
    gangReclaims
        .verdicts()
        .forEach(
            (gang, verdict) -> {
              if (gangVerdictsLogged.add(gang)) {
                log.info("summary: metadata gang {} reclaimed {}", gang, verdict);
              }
            });
    long total = waiting.values().stream().mapToLong(Long::longValue).sum();
    waiting.put(HarvestAccounting.TOTAL, total);
    backlogSamples++;
    if (waiting.values().stream().anyMatch(n -> n == 0)) {
      backlogDrySamples++;
    }
    waiting.forEach((k, n) -> backlogMin.merge(k, n, Math::min));
    backlogLast.clear();
    backlogLast.putAll(waiting);
    this.waitingByTeam = waitingByTeam;
    return boundNotPlaced;
  }

  /**
   * The gang of a metadata pod ({@code namespace/PodGroup}, Volcano's annotation or the
   * coscheduling label), or null.
   */
  static String gangOf(Pod p) {
    Map<String, String> a = p.getMetadata().getAnnotations();
    Map<String, String> l = p.getMetadata().getLabels();
    String g = a == null ? null : a.get(GleanerKeys.VOLCANO_GROUP_NAME);
    if (g == null || g.isEmpty()) {
      g = l == null ? null : l.get(COSCHEDULING_LABEL);
    }
    return g == null || g.isEmpty() ? null : p.getMetadata().getNamespace() + "/" + g;
  }

  private static final String COSCHEDULING_LABEL = "scheduling.x-k8s.io/pod-group";

  /** The gangs judged so far, by {@code namespace/PodGroup}, for the log. */
  public synchronized Map<String, GangReclaims.Verdict> gangReclaims() {
    return gangReclaims.verdicts();
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

  /**
   * Adds the member's lendable capacity per source to {@code lendableNow}, and to {@code funnelNow}
   * the part of it on nodes Gleaner had labelled with a pool (lent idle nodes, nodes with a Volcano
   * or co-location offer).
   */
  private void lendableOf(
      KubernetesClient client,
      Set<MemberRole> memberRoles,
      List<Node> nodes,
      List<Pod> pods,
      Map<String, Resources> lendableNow,
      Map<String, Resources> funnelNow) {
    List<GenericKubernetesResource> groups = List.of();
    if (memberRoles.contains(MemberRole.TRAINING)) {
      groups =
          client
              .genericKubernetesResources("scheduling.volcano.sh/v1beta1", "PodGroup")
              .inAnyNamespace()
              .list()
              .getItems();
    }
    LendableCapacity.of(memberRoles, nodes, pods, groups, lendableSettings)
        .forEach((src, r) -> lendableNow.merge(src.name(), r, Resources::plus));
    List<Node> pooled =
        nodes.stream()
            .filter(
                n ->
                    n.getMetadata().getLabels() != null
                        && n.getMetadata().getLabels().get(GleanerKeys.POOL) != null)
            .toList();
    LendableCapacity.of(memberRoles, pooled, pods, groups, lendableSettings)
        .forEach(
            (src, r) ->
                funnelNow.merge(src.name() + "/" + FUNNEL_LENDABLE_POOLED, r, Resources::plus));
    if (memberRoles.equals(Set.of(MemberRole.ONLINE))) {
      idleNotLent(client, nodes, pods, pooled, funnelNow);
    }
  }

  /**
   * Why idle capacity was not lent: of the ground truth on online nodes without a pool label, the
   * part on nodes cooling down after a reclaim, on nodes whose online CPU usage (metrics, less the
   * requests of Gleaner pods) is above the policy's usage threshold, and the rest (the {@code
   * idleAfter} wait and detection lag).
   */
  private void idleNotLent(
      KubernetesClient client,
      List<Node> nodes,
      List<Pod> pods,
      List<Node> pooled,
      Map<String, Resources> funnelNow) {
    Map<String, Long> usage = new HashMap<>();
    try {
      for (var m : client.top().nodes().metrics().getItems()) {
        usage.put(m.getMetadata().getName(), Resources.fromQuantities(m.getUsage()).cpuMillis());
      }
    } catch (RuntimeException ex) {
      log.debug("summary: node metrics not read: {}", ex.toString());
    }
    Map<String, Long> gleanerCpu = new HashMap<>();
    for (Pod p : pods) {
      if (p.getSpec().getNodeName() != null
          && !terminal(p)
          && p.getMetadata().getLabels() != null
          && "true".equals(p.getMetadata().getLabels().get(GleanerKeys.MANAGED))) {
        gleanerCpu.merge(p.getSpec().getNodeName(), harvestedRate(p).cpuMillis(), Long::sum);
      }
    }
    long now = clock.millis();
    Map<String, List<Node>> byReason = new HashMap<>();
    for (Node n : nodes) {
      if (pooled.contains(n)) {
        continue;
      }
      Map<String, String> ann =
          n.getMetadata().getAnnotations() == null ? Map.of() : n.getMetadata().getAnnotations();
      String reason = IDLE_NOT_LENT_WAITING;
      String until = ann.get(GleanerKeys.COOLDOWN_UNTIL);
      long alloc =
          n.getStatus() == null || n.getStatus().getAllocatable() == null
              ? 0
              : Resources.fromQuantities(n.getStatus().getAllocatable()).cpuMillis();
      Long used = usage.get(n.getMetadata().getName());
      if (until != null && java.time.Instant.parse(until).toEpochMilli() > now) {
        reason = IDLE_NOT_LENT_COOLING;
      } else if (used != null
          && used - gleanerCpu.getOrDefault(n.getMetadata().getName(), 0L)
              > lendableSettings.idleCpuUsageFraction() * alloc) {
        reason = IDLE_NOT_LENT_USAGE;
      }
      byReason.computeIfAbsent(reason, k -> new ArrayList<>()).add(n);
    }
    byReason.forEach(
        (reason, subset) ->
            LendableCapacity.of(
                    Set.of(MemberRole.ONLINE), subset, pods, List.of(), lendableSettings)
                .forEach(
                    (src, r) -> funnelNow.merge(src.name() + "/" + reason, r, Resources::plus)));
  }

  private long sampleMember(
      String cluster,
      List<Pod> pods,
      List<Node> nodes,
      long now,
      double hours,
      Map<String, Long> teamCpuNow) {
    GleanerRoom room = null;
    long pending = 0;
    boolean gleanerPresent =
        pods.stream()
            .anyMatch(
                p ->
                    p.getMetadata().getLabels() != null
                        && "true".equals(p.getMetadata().getLabels().get(GleanerKeys.MANAGED))
                        && p.getSpec().getNodeName() != null
                        && !terminal(p));
    for (Pod p : pods) {
      Map<String, String> labels =
          p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels();
      String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
      String key = cluster + "/" + p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
      if ("true".equals(labels.get(GleanerKeys.MANAGED))) {
        String source =
            labels.getOrDefault(GleanerKeys.SOURCE, "UNKNOWN").toUpperCase(java.util.Locale.ROOT);
        memberPodsBySource.computeIfAbsent(source, k -> new HashSet<>()).add(key);
        if ("Running".equals(phase)) {
          Resources rate = harvestedRate(p);
          harvested.add(source, rate, hours);
          byMemberPod.add(key, rate, hours);
          String team =
              p.getMetadata().getAnnotations() == null
                  ? null
                  : p.getMetadata().getAnnotations().get(GleanerKeys.META_NAMESPACE);
          if (team != null) {
            teamCpuNow.merge(team, rate.cpuMillis(), Long::sum);
          }
        }
        if ("Pending".equals(phase)
            && unschedulable(p)
            && p.getMetadata().getDeletionTimestamp() == null) {
          pending++;
        }
      } else if (!GleanerRoom.isScaleUpPlaceholder(p)
          && (p.getMetadata().getOwnerReferences() == null
              || p.getMetadata().getOwnerReferences().stream()
                  .noneMatch(o -> "DaemonSet".equals(o.getKind())))) {
        // Gleaner's own scale-up placeholders (elastic members) are not online work: they are
        // Unschedulable by design, to ask the member's autoscaler for nodes, and deleted unrun
        if ("Pending".equals(phase) && unschedulable(p) && gleanerPresent) {
          onlineUnschedulableSince.putIfAbsent(key, now);
          if (!onlineHeldByGleaner.contains(key)) {
            room = room == null ? gleanerRoom(nodes, pods) : room;
            if (!room.nodesGleanerBlocks(PodInfo.of(p)).isEmpty()) {
              onlineHeldByGleaner.add(key);
            }
          }
        } else if ("Running".equals(phase)
            && onlineUnschedulableSince.containsKey(key)
            && !onlineDelays.containsKey(key)) {
          onlineDelays.put(key, now - onlineUnschedulableSince.get(key));
        }
      }
    }
    return pending;
  }

  private static GleanerRoom gleanerRoom(List<Node> nodes, List<Pod> pods) {
    GleanerRoom room = new GleanerRoom(nodes);
    for (Pod p : pods) {
      room.add(
          PodInfo.of(p),
          p.getMetadata().getLabels() != null
              && "true".equals(p.getMetadata().getLabels().get(GleanerKeys.MANAGED)));
    }
    return room;
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

  private static boolean terminal(Pod p) {
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    return "Succeeded".equals(phase) || "Failed".equals(phase);
  }

  /** CPU (batch CPU on co-location nodes) and GPUs a Gleaner member pod requests. */
  private static Resources harvestedRate(Pod p) {
    Resources sum = Resources.ZERO;
    for (var c : p.getSpec().getContainers()) {
      if (c.getResources() != null && c.getResources().getRequests() != null) {
        sum = sum.plus(Resources.fromQuantities(c.getResources().getRequests()));
      }
    }
    long milli = sum.cpuMillis() > 0 ? sum.cpuMillis() : sum.get(Resources.BATCH_CPU);
    return Resources.builder()
        .putCanonical(Resources.CPU, milli)
        .putCanonical(Resources.GPU, sum.gpus())
        .build();
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
    for (String s : SOURCES) {
      hours.put(s, round(harvested.coreHours(s)));
    }
    List<Double> latencies;
    synchronized (reclaimLatencies) {
      latencies = new ArrayList<>(reclaimLatencies);
    }
    List<Double> delays = onlineDelays.values().stream().map(ms -> ms / 1000.0).sorted().toList();
    double maxDelay = delays.isEmpty() ? 0 : delays.get(delays.size() - 1);
    HarvestAccounting harvest = harvest(delays, maxDelay);
    Map<String, Map<String, Double>> funnelHours = new TreeMap<>();
    for (String src : SOURCES) {
      Map<String, Double> stages = new java.util.LinkedHashMap<>();
      stages.put("lendable", round(lendable.coreHours(src)));
      for (String stage :
          List.of(
              FUNNEL_LENDABLE_POOLED,
              IDLE_NOT_LENT_COOLING,
              IDLE_NOT_LENT_USAGE,
              IDLE_NOT_LENT_WAITING,
              FUNNEL_OFFERED,
              FUNNEL_AFTER_MARGIN,
              FUNNEL_PLACED)) {
        stages.put(stage, round(funnel.coreHours(src + "/" + stage)));
      }
      stages.put("harvested", round(harvested.coreHours(src)));
      stages.put("lendable_gpu", round(lendable.gpuHours(src)));
      stages.put("after_margin_gpu", round(funnel.gpuHours(src + "/" + FUNNEL_AFTER_MARGIN)));
      stages.put("placed_gpu", round(funnel.gpuHours(src + "/" + FUNNEL_PLACED)));
      stages.put("harvested_gpu", round(harvested.gpuHours(src)));
      funnelHours.put(src, stages);
    }
    Map<String, Double> total = new java.util.LinkedHashMap<>();
    total.put("lendable", round(SOURCES.stream().mapToDouble(lendable::coreHours).sum()));
    for (String stage : List.of(FUNNEL_ADVERTISED, FUNNEL_BOUND_NOT_PLACED)) {
      total.put(stage, round(funnel.coreHours(HarvestAccounting.TOTAL + "/" + stage)));
    }
    total.put("harvested", round(SOURCES.stream().mapToDouble(harvested::coreHours).sum()));
    funnelHours.put(HarvestAccounting.TOTAL, total);
    SandboxSummary.Backlog backlog =
        new SandboxSummary.Backlog(
            backlogSamples, backlogDrySamples, Map.copyOf(backlogMin), Map.copyOf(backlogLast));
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
        maxDelay,
        harvest,
        funnelHours,
        backlog,
        teamHours == null ? null : teamHours.harvest(),
        Map.of(),
        0,
        gangReclaims.whole(),
        gangReclaims.inPart(),
        null);
  }

  private static final List<String> SOURCES = List.of("IDLE", "VOLCANO", "COLOCATION", "ELASTIC");
  static final String FUNNEL_LENDABLE_POOLED = "lendable_on_pooled_nodes";
  static final String FUNNEL_OFFERED = "offered";
  static final String FUNNEL_AFTER_MARGIN = "offered_after_margin";
  static final String FUNNEL_PLACED = "placed";
  static final String FUNNEL_ADVERTISED = "advertised_by_virtual_node";
  static final String FUNNEL_BOUND_NOT_PLACED = "bound_to_virtual_node_not_placed";
  static final String IDLE_NOT_LENT_COOLING = "not_lent_cooling_down";
  static final String IDLE_NOT_LENT_USAGE = "not_lent_usage_above_threshold";
  static final String IDLE_NOT_LENT_WAITING = "not_lent_other";

  private HarvestAccounting harvest(List<Double> delays, double maxDelay) {
    Map<String, Double> lendableCores = totals(lendable::coreHours);
    Map<String, Double> harvestedCores = totals(harvested::coreHours);
    Map<String, Double> ratio = new TreeMap<>();
    lendableCores.forEach(
        (s, l) -> {
          if (l > 0) {
            ratio.put(s, Math.round(harvestedCores.get(s) / l * 1000.0) / 1000.0);
          }
        });
    double wastedCores = 0;
    double wastedGpus = 0;
    for (String pod : evictedMemberPods) {
      wastedCores += byMemberPod.coreHours(pod);
      wastedGpus += byMemberPod.gpuHours(pod);
    }
    double harvestedTotal = harvestedCores.get(HarvestAccounting.TOTAL);
    long reclaims = reclaimIds.size();
    long neverRan =
        onlineUnschedulableSince.keySet().stream()
            .filter(k -> onlineHeldByGleaner.contains(k) && !onlineDelays.containsKey(k))
            .count();
    return new HarvestAccounting(
        lendableCores,
        harvestedCores,
        ratio,
        totals(lendable::gpuHours),
        totals(harvested::gpuHours),
        round(wastedCores),
        round(wastedGpus),
        reclaims,
        harvestedTotal > 0 ? round(reclaims * 100.0 / harvestedTotal) : 0,
        delays.size(),
        percentile(delays, 50),
        percentile(delays, 99),
        maxDelay,
        neverRan);
  }

  private static Map<String, Double> totals(java.util.function.ToDoubleFunction<String> hours) {
    Map<String, Double> out = new TreeMap<>();
    double total = 0;
    for (String s : SOURCES) {
      double h = hours.applyAsDouble(s);
      total += h;
      out.put(s, round(h));
    }
    out.put(HarvestAccounting.TOTAL, round(total));
    return out;
  }

  private static double round(double v) {
    return Math.round(v * 100.0) / 100.0;
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
