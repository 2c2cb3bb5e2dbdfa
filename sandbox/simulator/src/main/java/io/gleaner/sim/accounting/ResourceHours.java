package io.gleaner.sim.accounting;

import io.gleaner.meta.resources.Resources;
import java.util.Map;
import java.util.TreeMap;

/**
 * Integrates resource rates over simulated time into core-hours and GPU-hours per key (a source, a
 * pod). Each sample's rates are taken to have held since the previous sample (the first sample
 * counts from {@code startMillis}), the rule the sandbox uses for harvested and lendable capacity
 * alike, so their ratio compares like with like.
 *
 * <p>Not thread-safe; the sandbox samples from one thread.
 */
public final class ResourceHours {
  private final Map<String, double[]> totals = new TreeMap<>();
  private long lastMillis;

  public ResourceHours(long startMillis) {
    this.lastMillis = startMillis;
  }

  /**
   * Adds {@code rates} (per key, CPU and GPUs in use or free at {@code nowMillis}) over the time
   * since the previous sample. A clock that went backwards adds nothing.
   */
  public void sample(long nowMillis, Map<String, Resources> rates) {
    double hours = Math.max(0, nowMillis - lastMillis) / 3_600_000.0;
    lastMillis = Math.max(lastMillis, nowMillis);
    rates.forEach((key, r) -> add(key, r, hours));
  }

  /** Adds {@code rate} held for {@code hours} to {@code key}, outside the sampling rhythm. */
  public void add(String key, Resources rate, double hours) {
    double[] t = totals.computeIfAbsent(key, k -> new double[2]);
    t[0] += rate.cpuMillis() / 1000.0 * hours;
    t[1] += rate.gpus() * hours;
  }

  /** CPU core-hours of {@code key} so far. */
  public double coreHours(String key) {
    double[] t = totals.get(key);
    return t == null ? 0 : t[0];
  }

  /** GPU-hours of {@code key} so far. */
  public double gpuHours(String key) {
    double[] t = totals.get(key);
    return t == null ? 0 : t[1];
  }

  /** Core-hours of every key. */
  public Map<String, Double> coreHours() {
    Map<String, Double> out = new TreeMap<>();
    totals.forEach((k, t) -> out.put(k, t[0]));
    return out;
  }
}
