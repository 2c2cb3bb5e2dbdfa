package io.gleaner.descheduler;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Objects;

/** The descheduler's meters; the one place their names live. */
public final class DeschedulerMetrics {
  /** Counter: node reclaims, tags {@code reason}, {@code cluster}. */
  public static final String RECLAIMS = "gleaner.descheduler.reclaims";

  /** Counter: evictions issued, tags {@code cluster}, {@code class}, {@code outcome}. */
  public static final String VICTIMS = "gleaner.descheduler.victims";

  /**
   * Timer (histogram): trigger (online pod seen Unschedulable) to all evictions issued, tag {@code
   * cluster}.
   */
  public static final String LATENCY = "gleaner.descheduler.reclaim.latency";

  /** Timer: one planning pass of a burst, tag {@code cluster}. */
  public static final String PLANNING = "gleaner.descheduler.planning";

  /** Counter: evictions refused by a PodDisruptionBudget, tag {@code cluster}. */
  public static final String PDB_BLOCKS = "gleaner.descheduler.pdb_blocks";

  /** Counter: hook deliveries, tags {@code hook}, {@code outcome}. */
  public static final String HOOK_DELIVERIES = "gleaner.descheduler.hook_deliveries";

  /**
   * Counter: member pods left out of a reclaim pass because their requests cannot be counted, tags
   * {@code cluster}, {@code reason} (invalid_quantity|overflow); see {@code SkippedPods}.
   */
  public static final String SKIPPED_PODS = "gleaner.descheduler.skipped_pods";

  /** Counter: planner outcomes per pod, tags {@code cluster}, {@code outcome}. */
  public static final String DECISIONS = "gleaner.descheduler.decisions";

  private final MeterRegistry registry;

  public DeschedulerMetrics(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  public MeterRegistry registry() {
    return registry;
  }

  public void reclaim(String cluster, String reason) {
    Counter.builder(RECLAIMS)
        .tag("cluster", cluster)
        .tag("reason", reason)
        .register(registry)
        .increment();
  }

  public void victim(String cluster, String podClass, String outcome) {
    Counter.builder(VICTIMS)
        .tag("cluster", cluster)
        .tag("class", podClass)
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  public void latency(String cluster, Duration d) {
    Timer.builder(LATENCY)
        .tag("cluster", cluster)
        .publishPercentileHistogram()
        .serviceLevelObjectives(Duration.ofMillis(200), Duration.ofSeconds(1))
        .register(registry)
        .record(d.isNegative() ? Duration.ZERO : d);
  }

  public void planning(String cluster, Duration d) {
    Timer.builder(PLANNING).tag("cluster", cluster).register(registry).record(d);
  }

  public void pdbBlock(String cluster) {
    Counter.builder(PDB_BLOCKS).tag("cluster", cluster).register(registry).increment();
  }

  public void hookDelivery(String hook, String outcome) {
    Counter.builder(HOOK_DELIVERIES)
        .tag("hook", hook)
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  public void decision(String cluster, String outcome) {
    Counter.builder(DECISIONS)
        .tag("cluster", cluster)
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }
}
