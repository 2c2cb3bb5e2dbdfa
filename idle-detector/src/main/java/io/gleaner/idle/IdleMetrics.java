package io.gleaner.idle;

import io.gleaner.idle.state.IdleState;
import io.gleaner.meta.crd.CapacitySource;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The idle-detector's meters; the one place that knows their names. Gauges are per member cluster
 * and are removed with the cluster.
 */
public final class IdleMetrics {
  /** Gauge: online nodes per idle state, tags {@code cluster}, {@code state}. */
  public static final String NODES = "gleaner.idle.nodes";

  /** Gauge: nodes with a live offer, tags {@code cluster}, {@code source}. */
  public static final String LENT_NODES = "gleaner.idle.lent_nodes";

  /** Gauge: offered CPU cores, tags {@code cluster}, {@code source}. */
  public static final String OFFERED_CORES = "gleaner.idle.offered_cores";

  /** Gauge: offered memory in bytes, tags {@code cluster}, {@code source}. */
  public static final String OFFERED_MEMORY = "gleaner.idle.offered_memory_bytes";

  /** Counter: state transitions, tags {@code cluster}, {@code outcome} = lend | return | reset. */
  public static final String TRANSITIONS = "gleaner.idle.transitions";

  /**
   * Counter: member pods left out because their requests cannot be counted, tags {@code cluster},
   * {@code reason} (invalid_quantity|overflow); see {@code SkippedPods}.
   */
  public static final String SKIPPED_PODS = "gleaner.idle.skipped_pods";

  /**
   * Counter: nodes left to another installation's live claim (each time a node turns to one), tag
   * {@code cluster}.
   */
  public static final String LEFT_TO_ANOTHER = "gleaner.idle.nodes_left_to_another";

  /** Counter: node patch failures, tag {@code cluster}. */
  public static final String WRITE_FAILURES = "gleaner.idle.node_write_failures";

  /**
   * Counter: claim writes the member refused with 409 Conflict because the node changed after the
   * detector decided on it (another installation's claim among them), tags {@code cluster}, {@code
   * write} = take | renew | release (another installation's stale claim) | leave (this
   * installation's claim, its member leaving).
   */
  public static final String CLAIM_CONFLICTS = "gleaner.idle.claim_conflicts";

  private final MeterRegistry registry;
  private final Map<String, ClusterMeters> clusters = new ConcurrentHashMap<>();

  public IdleMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** The meters of one cluster, created on first use. */
  public ClusterMeters cluster(String cluster) {
    return clusters.computeIfAbsent(cluster, ClusterMeters::new);
  }

  /** Removes a cluster's gauges. */
  public void remove(String cluster) {
    ClusterMeters m = clusters.remove(cluster);
    if (m != null) {
      m.meters.forEach(registry::remove);
    }
  }

  /** Holders for one cluster; updated on the detector thread, read by the registry. */
  public final class ClusterMeters {
    private final String cluster;
    private final Map<IdleState.Kind, AtomicLong> states = new ConcurrentHashMap<>();
    private final Map<CapacitySource, AtomicLong> lent = new ConcurrentHashMap<>();
    private final Map<CapacitySource, AtomicLong> cpuMillis = new ConcurrentHashMap<>();
    private final Map<CapacitySource, AtomicLong> memory = new ConcurrentHashMap<>();
    private final List<Meter> meters = new ArrayList<>();

    private ClusterMeters(String cluster) {
      this.cluster = cluster;
    }

    public void stateEntered(IdleState.Kind kind, int delta) {
      states
          .computeIfAbsent(
              kind,
              k -> {
                AtomicLong v = new AtomicLong();
                meters.add(
                    Gauge.builder(NODES, v, AtomicLong::get)
                        .description("Online nodes per idle state")
                        .tags(Tags.of("cluster", cluster, "state", k.tag()))
                        .register(registry));
                return v;
              })
          .addAndGet(delta);
    }

    /** An offer of {@code source} appeared ({@code sign=+1}) or went away ({@code -1}). */
    public void offered(CapacitySource source, long cpu, long mem, int nodesDelta) {
      holder(lent, source, LENT_NODES, "Member nodes with a live offer", v -> v)
          .addAndGet(nodesDelta);
      holder(cpuMillis, source, OFFERED_CORES, "Offered CPU cores", v -> v / 1000.0).addAndGet(cpu);
      holder(memory, source, OFFERED_MEMORY, "Offered memory in bytes", v -> v).addAndGet(mem);
    }

    private AtomicLong holder(
        Map<CapacitySource, AtomicLong> m,
        CapacitySource s,
        String name,
        String description,
        java.util.function.LongFunction<Number> view) {
      return m.computeIfAbsent(
          s,
          k -> {
            AtomicLong v = new AtomicLong();
            meters.add(
                Gauge.builder(name, v, a -> view.apply(a.get()).doubleValue())
                    .description(description)
                    .tags(Tags.of("cluster", cluster, "source", k.name().toLowerCase(Locale.ROOT)))
                    .register(registry));
            return v;
          });
    }

    public void transition(String outcome) {
      registry.counter(TRANSITIONS, "cluster", cluster, "outcome", outcome).increment();
    }

    public void leftToAnother() {
      registry.counter(LEFT_TO_ANOTHER, "cluster", cluster).increment();
    }

    public void writeFailed() {
      registry.counter(WRITE_FAILURES, "cluster", cluster).increment();
    }

    /** A claim write of kind {@code write} was refused with 409 Conflict. */
    public void claimConflict(String write) {
      registry.counter(CLAIM_CONFLICTS, "cluster", cluster, "write", write).increment();
    }

    public long nodesIn(IdleState.Kind kind) {
      AtomicLong v = states.get(kind);
      return v == null ? 0 : v.get();
    }

    public long lentNodes(CapacitySource s) {
      AtomicLong v = lent.get(s);
      return v == null ? 0 : v.get();
    }
  }
}
