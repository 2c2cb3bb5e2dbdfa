package io.gleaner.broker.grpc;

import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.broker.placement.CapacityTotals;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.resources.Resources;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What the broker's own ledger says was harvested: CPU core-hours and GPU-hours placed (confirmed)
 * per source, integrated over the broker's clock, and the reclaims reported to it. Placed capacity
 * only changes with the ledger, so each capacity snapshot's placed amounts are exact until the next
 * one; the counters read the running total up to now.
 *
 * <p>Every broker replica reads the same ledger, so each reports the whole federation's figures:
 * aggregate replicas with {@code max}, not {@code sum}. Reclaims are counted by the replica that
 * received them. Core-hours on co-location nodes count {@code kubernetes.io/batch-cpu} as CPU.
 */
public final class HarvestMetrics {
  /** Counter: CPU core-hours placed on member nodes, tag {@code source}. */
  public static final String CORE_HOURS = "gleaner.harvest.core.hours";

  /** Counter: GPU-hours placed on member nodes, tag {@code source}. */
  public static final String GPU_HOURS = "gleaner.harvest.gpu.hours";

  /** Counter: reclaims (not dry runs) reported to this replica, tag {@code source}. */
  public static final String RECLAIMS = "gleaner.harvest.reclaims";

  /** Counter: Gleaner member pods those reclaims evicted, tag {@code source}. */
  public static final String RECLAIMED_PODS = "gleaner.harvest.reclaimed.pods";

  private final Clock clock;
  private final Map<CapacitySource, double[]> hours = new EnumMap<>(CapacitySource.class);
  private final Map<CapacitySource, long[]> rate = new EnumMap<>(CapacitySource.class);
  private final Map<String, long[]> reclaimed = new java.util.TreeMap<>();
  private final MeterRegistry registry;
  private long lastMillis;

  public HarvestMetrics(MeterRegistry registry, Clock clock) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.lastMillis = clock.millis();
    for (CapacitySource s : CapacitySource.values()) {
      hours.put(s, new double[2]);
      rate.put(s, new long[2]);
      String tag = tag(s);
      FunctionCounter.builder(CORE_HOURS, this, m -> m.coreHours(s))
          .tag("source", tag)
          .description("CPU core-hours placed on member nodes")
          .register(registry);
      FunctionCounter.builder(GPU_HOURS, this, m -> m.gpuHours(s))
          .tag("source", tag)
          .description("GPU-hours placed on member nodes")
          .register(registry);
    }
  }

  /** Takes the placed amounts of a capacity snapshot; what was placed before holds until now. */
  public synchronized void update(Collection<CapacityTotals> clusters) {
    advance();
    rate.values().forEach(r -> java.util.Arrays.fill(r, 0));
    for (CapacityTotals t : clusters) {
      long[] r = rate.get(t.source());
      Resources placed = t.placed();
      r[0] += placed.cpuMillis() + placed.get(Resources.BATCH_CPU);
      r[1] += placed.gpus();
    }
  }

  /** Counts a reclaim event and its victims under the event's source. */
  public void reclaim(ReclaimEvent e) {
    if (e.getDryRun()) {
      return;
    }
    String source =
        switch (e.getSource()) {
          case IDLE -> tag(CapacitySource.IDLE);
          case VOLCANO -> tag(CapacitySource.VOLCANO);
          case COLOCATION -> tag(CapacitySource.COLOCATION);
          case ELASTIC -> tag(CapacitySource.ELASTIC);
          default -> "unknown";
        };
    synchronized (this) {
      long[] r = reclaimed.computeIfAbsent(source, k -> new long[2]);
      r[0]++;
      r[1] += e.getVictimsCount();
    }
    Counter.builder(RECLAIMS).tag("source", source).register(registry).increment();
    Counter.builder(RECLAIMED_PODS)
        .tag("source", source)
        .register(registry)
        .increment(e.getVictimsCount());
  }

  /**
   * One source's figures so far.
   *
   * @param coreHours CPU core-hours placed
   * @param gpuHours GPU-hours placed
   * @param reclaims reclaims reported to this replica
   * @param reclaimedPods member pods they evicted
   */
  public record SourceFigures(
      double coreHours, double gpuHours, long reclaims, long reclaimedPods) {}

  /** Every source's figures so far, keyed by the {@code source} tag. */
  public synchronized Map<String, SourceFigures> figures() {
    advance();
    Map<String, SourceFigures> out = new java.util.TreeMap<>();
    for (CapacitySource s : CapacitySource.values()) {
      long[] r = reclaimed.getOrDefault(tag(s), new long[2]);
      out.put(tag(s), new SourceFigures(hours.get(s)[0], hours.get(s)[1], r[0], r[1]));
    }
    return out;
  }

  /** Core-hours placed with {@code source} up to now. */
  public synchronized double coreHours(CapacitySource source) {
    advance();
    return hours.get(source)[0];
  }

  /** GPU-hours placed with {@code source} up to now. */
  public synchronized double gpuHours(CapacitySource source) {
    advance();
    return hours.get(source)[1];
  }

  private void advance() {
    long now = clock.millis();
    double h = Math.max(0, now - lastMillis) / 3_600_000.0;
    lastMillis = Math.max(lastMillis, now);
    for (CapacitySource s : CapacitySource.values()) {
      hours.get(s)[0] += rate.get(s)[0] / 1000.0 * h;
      hours.get(s)[1] += rate.get(s)[1] * h;
    }
  }

  private static String tag(CapacitySource s) {
    return s.name().toLowerCase(Locale.ROOT);
  }
}
