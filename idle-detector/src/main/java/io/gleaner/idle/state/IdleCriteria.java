package io.gleaner.idle.state;

import io.gleaner.meta.resources.Resources;
import java.util.EnumSet;

/**
 * The policy's idle thresholds, as fractions of a node's allocatable resources, and the check of a
 * {@link NodeLoad} against them.
 *
 * <p>A node is idle when it is Ready, schedulable, not excluded, its online pods request at most
 * {@code cpuRequestFraction} of its CPU and {@code memoryRequestFraction} of its memory, and (where
 * fresh metrics exist) its online CPU usage is at most {@code cpuUsageFraction}. "At most" is
 * inclusive, so a threshold of 0 means "no online requests at all". A node without allocatable CPU
 * or memory is never idle.
 *
 * @param cpuRequestFraction 0..1
 * @param memoryRequestFraction 0..1
 * @param cpuUsageFraction 0..1
 */
public record IdleCriteria(
    double cpuRequestFraction, double memoryRequestFraction, double cpuUsageFraction) {

  /**
   * The built-in thresholds, as in {@code GleanerPolicy}: 20 % CPU and memory requests, 10 % CPU
   * usage.
   */
  public static final IdleCriteria DEFAULTS = new IdleCriteria(0.2, 0.2, 0.1);

  public IdleCriteria {
    check("cpuRequestFraction", cpuRequestFraction);
    check("memoryRequestFraction", memoryRequestFraction);
    check("cpuUsageFraction", cpuUsageFraction);
  }

  private static void check(String name, double v) {
    if (!(v >= 0 && v <= 1)) {
      throw new IllegalArgumentException(
          "idle threshold " + name + " must be within 0..1, got " + v);
    }
  }

  /**
   * Checks {@code load}; the verdict's pressure is the largest load/threshold ratio, capped at 1.
   */
  public IdleVerdict evaluate(NodeLoad load) {
    EnumSet<Breach> breaches = EnumSet.noneOf(Breach.class);
    if (!load.ready()) {
      breaches.add(Breach.NOT_READY);
    }
    if (load.unschedulable()) {
      breaches.add(Breach.UNSCHEDULABLE);
    }
    if (load.excluded()) {
      breaches.add(Breach.EXCLUDED);
    }
    Resources alloc = load.allocatable();
    double cpuReq = ratio(load.onlineRequests().cpuMillis(), alloc.cpuMillis());
    double memReq = ratio(load.onlineRequests().memoryBytes(), alloc.memoryBytes());
    if (cpuReq > cpuRequestFraction) {
      breaches.add(Breach.CPU_REQUESTS);
    }
    if (memReq > memoryRequestFraction) {
      breaches.add(Breach.MEMORY_REQUESTS);
    }
    double pressure =
        Math.max(pressure(cpuReq, cpuRequestFraction), pressure(memReq, memoryRequestFraction));
    if (load.onlineCpuUsageMillis().isPresent()) {
      double usage = ratio(load.onlineCpuUsageMillis().getAsLong(), alloc.cpuMillis());
      if (usage > cpuUsageFraction) {
        breaches.add(Breach.CPU_USAGE);
      }
      pressure = Math.max(pressure, pressure(usage, cpuUsageFraction));
    }
    return new IdleVerdict(breaches, breaches.isEmpty() ? pressure : 1);
  }

  private static double ratio(long used, long total) {
    if (total <= 0) {
      return Double.POSITIVE_INFINITY;
    }
    return (double) Math.max(0, used) / total;
  }

  private static double pressure(double load, double threshold) {
    if (threshold <= 0) {
      return load > 0 ? 1 : 0;
    }
    return Math.min(1, load / threshold);
  }
}
