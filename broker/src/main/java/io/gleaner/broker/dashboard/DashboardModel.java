package io.gleaner.broker.dashboard;

import io.gleaner.api.v1.Capacity;
import io.gleaner.api.v1.ClusterCapacity;
import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.api.v1.ReclaimVictim;
import io.gleaner.broker.grpc.HarvestMetrics;
import io.gleaner.broker.teams.TeamShareBook;
import io.gleaner.meta.resources.Quantities;
import io.gleaner.meta.resources.Resources;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * What the capacity dashboard shows, as JSON: the current capacity, a bounded history of offered
 * capacity by source and by cluster (for the stacked charts), pods by class and phase, member
 * health and the latest reclaims.
 *
 * <p>Thread-safe: {@link #sample()} and {@link #record(ReclaimEvent)} may run on any thread;
 * readers get copies.
 */
public final class DashboardModel {
  /** Samples kept: at one sample per 5 s, half an hour of history. */
  public static final int HISTORY = 360;

  public static final int RECLAIMS = 50;

  private final Supplier<Capacity> capacity;
  private final Supplier<PodCounts> pods;
  private volatile Supplier<Map<String, String>> memberProblems = Map::of;
  private volatile Supplier<java.util.Set<String>> memberNames = java.util.Set::of;
  private volatile Supplier<Map<String, HarvestMetrics.SourceFigures>> harvest = Map::of;
  private volatile Supplier<List<TeamShareBook.Share>> teams = List::of;
  private final Clock clock;
  private final Deque<JsonObject> history = new ArrayDeque<>();
  private final Deque<ReclaimEvent> reclaims = new ArrayDeque<>();

  public DashboardModel(Supplier<Capacity> capacity, Supplier<PodCounts> pods, Clock clock) {
    this.capacity = Objects.requireNonNull(capacity, "capacity");
    this.pods = pods == null ? () -> PodCounts.NONE : pods;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Tells the dashboard every registered member, and why a member is unhealthy (cluster to
   * message), so members that offer nothing still appear in the health table.
   */
  public DashboardModel withMembers(
      Supplier<java.util.Set<String>> names, Supplier<Map<String, String>> problems) {
    this.memberNames = Objects.requireNonNull(names, "names");
    this.memberProblems = Objects.requireNonNull(problems, "problems");
    return this;
  }

  /** Tells the dashboard what the ledger says was harvested, per source. */
  public DashboardModel withHarvest(Supplier<Map<String, HarvestMetrics.SourceFigures>> figures) {
    this.harvest = Objects.requireNonNull(figures, "figures");
    return this;
  }

  /** Tells the dashboard each team's share of the pool. */
  public DashboardModel withTeams(Supplier<List<TeamShareBook.Share>> shares) {
    this.teams = Objects.requireNonNull(shares, "shares");
    return this;
  }

  /** Takes one history sample of offered cpu by source and by cluster, and the totals. */
  public void sample() {
    Capacity c = capacity.get();
    JsonObject bySource = new JsonObject();
    JsonObject byCluster = new JsonObject();
    for (ClusterCapacity cc : c.getClustersList()) {
      double cores = cores(cc.getOfferedMap());
      String source = cc.getSource().name();
      bySource.put(source, round(bySource.getDouble(source, 0.0) + cores));
      byCluster.put(cc.getCluster(), round(byCluster.getDouble(cc.getCluster(), 0.0) + cores));
    }
    JsonObject s =
        new JsonObject()
            .put("t", clock.millis())
            .put("bySource", bySource)
            .put("byCluster", byCluster)
            .put("advertisedCores", cores(c.getAdvertisedMap()))
            .put("reservedCores", cores(c.getReservedMap()))
            .put("placedCores", cores(c.getPlacedMap()));
    synchronized (history) {
      history.addLast(s);
      while (history.size() > HISTORY) {
        history.removeFirst();
      }
    }
  }

  /** Remembers a reclaim event; the newest {@value #RECLAIMS} are kept. */
  public void record(ReclaimEvent event) {
    synchronized (reclaims) {
      reclaims.addFirst(event);
      while (reclaims.size() > RECLAIMS) {
        reclaims.removeLast();
      }
    }
  }

  /** The history samples, oldest first. */
  public JsonArray history() {
    synchronized (history) {
      return new JsonArray(List.copyOf(history));
    }
  }

  /** The latest reclaims, newest first. */
  public JsonArray reclaims() {
    List<ReclaimEvent> copy;
    synchronized (reclaims) {
      copy = List.copyOf(reclaims);
    }
    JsonArray out = new JsonArray();
    for (ReclaimEvent e : copy) {
      JsonArray victims = new JsonArray();
      for (ReclaimVictim v : e.getVictimsList()) {
        victims.add(
            new JsonObject()
                .put("pod", v.getNamespace() + "/" + v.getName())
                .put("class", v.getWorkloadClass().name()));
      }
      long latency =
          e.getEvictedAtMs() > 0 && e.getTriggeredAtMs() > 0
              ? e.getEvictedAtMs() - e.getTriggeredAtMs()
              : -1;
      out.add(
          new JsonObject()
              .put("id", e.getId())
              .put("cluster", e.getCluster())
              .put("node", e.getNode())
              .put("source", e.getSource().name())
              .put("reason", e.getReason())
              .put("onlinePods", new JsonArray(List.copyOf(e.getOnlinePodsList())))
              .put("victims", victims)
              .put("triggeredAt", e.getTriggeredAtMs())
              .put("latencyMs", latency)
              .put("dryRun", e.getDryRun())
              .put("message", e.getMessage()));
    }
    return out;
  }

  /** Everything the page shows now. */
  public JsonObject summary() {
    Capacity c = capacity.get();
    JsonArray members = new JsonArray();
    Map<String, JsonObject> health = new TreeMap<>();
    for (ClusterCapacity cc : c.getClustersList()) {
      members.add(
          new JsonObject()
              .put("cluster", cc.getCluster())
              .put("source", cc.getSource().name())
              .put("healthy", cc.getHealthy())
              .put("nodes", cc.getNodes())
              .put("offered", quantities(cc.getOfferedMap()))
              .put("reserved", quantities(cc.getReservedMap()))
              .put("placed", quantities(cc.getPlacedMap()))
              .put("free", quantities(cc.getFreeMap())));
      JsonObject h =
          health.computeIfAbsent(
              cc.getCluster(),
              k -> new JsonObject().put("cluster", k).put("healthy", true).put("nodes", 0));
      h.put("healthy", h.getBoolean("healthy") && cc.getHealthy());
      h.put("nodes", h.getInteger("nodes") + cc.getNodes());
    }
    Map<String, String> problems = memberProblems.get();
    for (String name : memberNames.get()) {
      health.computeIfAbsent(
          name, k -> new JsonObject().put("cluster", k).put("healthy", true).put("nodes", 0));
    }
    problems.forEach(
        (name, message) ->
            health
                .computeIfAbsent(name, k -> new JsonObject().put("cluster", k).put("nodes", 0))
                .put("healthy", false)
                .put("message", message));
    JsonObject podCounts = new JsonObject();
    pods.get()
        .byClassAndPhase()
        .forEach((cls, phases) -> podCounts.put(cls, new JsonObject(new LinkedHashMap<>(phases))));
    return new JsonObject()
        .put("generatedAt", clock.millis())
        .put("nodes", c.getNodes())
        .put("advertised", quantities(c.getAdvertisedMap()))
        .put("advertisedNearLine", quantities(c.getAdvertisedNearLineMap()))
        .put("advertisedOffline", quantities(c.getAdvertisedOfflineMap()))
        .put("offered", quantities(c.getOfferedMap()))
        .put("reserved", quantities(c.getReservedMap()))
        .put("placed", quantities(c.getPlacedMap()))
        .put("largestShape", quantities(c.getLargestShapeMap()))
        .put("placementsByClass", new JsonObject(new LinkedHashMap<>(c.getPlacementsByClassMap())))
        .put(
            "placementsBySource", new JsonObject(new LinkedHashMap<>(c.getPlacementsBySourceMap())))
        .put("pods", podCounts)
        .put("members", members)
        .put("memberHealth", new JsonArray(List.copyOf(health.values())))
        .put("harvest", harvest())
        .put("teams", teams())
        .put("reclaims", reclaims());
  }

  /**
   * Per team: weight, fair and actual share, pending pods, core-hours, CPU held and the CPU its
   * policy guarantees (0: none).
   */
  private JsonArray teams() {
    JsonArray out = new JsonArray();
    for (TeamShareBook.Share s : teams.get()) {
      out.add(
          new JsonObject()
              .put("team", s.team())
              .put("weight", s.weight())
              .put("fairShare", Math.round(s.fair() * 1e4) / 1e4)
              .put("actualShare", Math.round(s.actual() * 1e4) / 1e4)
              .put("pendingPods", s.pendingPods())
              .put("coreHours", round(s.coreHours()))
              .put("heldCpu", round(s.held().cpuMillis() / 1000.0))
              .put("guaranteeCpu", round(s.guarantee().cpuMillis() / 1000.0)));
    }
    return out;
  }

  /**
   * Per source: core-hours and GPU-hours placed, reclaims, evicted pods, reclaims per 100
   * core-hours.
   */
  private JsonObject harvest() {
    JsonObject out = new JsonObject();
    harvest
        .get()
        .forEach(
            (source, f) ->
                out.put(
                    source,
                    new JsonObject()
                        .put("coreHours", round(f.coreHours()))
                        .put("gpuHours", round(f.gpuHours()))
                        .put("reclaims", f.reclaims())
                        .put("reclaimedPods", f.reclaimedPods())
                        .put(
                            "reclaimsPer100CoreHours",
                            f.coreHours() > 0
                                ? round(f.reclaims() * 100.0 / f.coreHours())
                                : 0.0)));
    return out;
  }

  /** Quantities as both the Kubernetes string and a number in display units (cores, GiB, count). */
  private static JsonObject quantities(Map<String, String> q) {
    JsonObject out = new JsonObject();
    new TreeMap<>(q)
        .forEach(
            (name, text) -> {
              long canonical;
              try {
                canonical = Quantities.parseCanonical(name, text);
              } catch (IllegalArgumentException e) {
                return;
              }
              out.put(
                  name,
                  new JsonObject().put("text", text).put("value", displayValue(name, canonical)));
            });
    return out;
  }

  private static double displayValue(String name, long canonical) {
    if (Resources.CPU.equals(name)) {
      return round(canonical / 1000.0);
    }
    if (name.contains("memory")) {
      return round(canonical / (double) (1L << 30));
    }
    return canonical;
  }

  private static double cores(Map<String, String> q) {
    String cpu = q.get(Resources.CPU);
    return cpu == null ? 0.0 : round(Quantities.parseCanonical(Resources.CPU, cpu) / 1000.0);
  }

  private static double round(double v) {
    return Math.round(v * 100.0) / 100.0;
  }
}
