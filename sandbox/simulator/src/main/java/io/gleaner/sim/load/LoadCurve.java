package io.gleaner.sim.load;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A utilization curve over simulated time: samples every {@code step}, linear interpolation between
 * them, repeating with {@code period} (the gap between the last sample and the period's end is
 * interpolated towards the first sample). {@link #alibaba2018()} is the 8-day cluster-average curve
 * of Alibaba's 2018 trace, aligned so that the trace's first sample falls on 08:00 UTC: busy by
 * day, quiet at night (UTC).
 *
 * <p>Immutable; {@link #scaled(double, Duration)} derives per-cluster variants.
 */
public final class LoadCurve {
  /** Where the bundled trace lives on the classpath. */
  public static final String ALIBABA_2018 =
      "/data/alibaba2018/machine_usage_days_1_to_8_grouped_300_seconds.csv";

  private static final Instant ANCHOR = Instant.parse("1970-01-01T08:00:00Z");
  private static volatile LoadCurve alibaba;

  private final double[] cpu;
  private final double[] memory;
  private final long stepSeconds;
  private final long periodSeconds;
  private final double factor;
  private final long offsetSeconds;

  private LoadCurve(
      double[] cpu,
      double[] memory,
      long stepSeconds,
      long periodSeconds,
      double factor,
      long offsetSeconds) {
    this.cpu = cpu;
    this.memory = memory;
    this.stepSeconds = stepSeconds;
    this.periodSeconds = periodSeconds;
    this.factor = factor;
    this.offsetSeconds = offsetSeconds;
  }

  /**
   * A curve from samples (fractions 0..1).
   *
   * @throws IllegalArgumentException when samples are empty, of different lengths, or the period is
   *     shorter than the samples
   */
  public static LoadCurve of(double[] cpu, double[] memory, Duration step, Duration period) {
    Objects.requireNonNull(cpu, "cpu");
    Objects.requireNonNull(memory, "memory");
    if (cpu.length == 0 || cpu.length != memory.length) {
      throw new IllegalArgumentException(
          "cpu and memory samples must be non-empty and of equal length, got "
              + cpu.length
              + " and "
              + memory.length);
    }
    if (step.getSeconds() <= 0 || period.getSeconds() < step.getSeconds() * cpu.length) {
      throw new IllegalArgumentException(
          "step must be >= 1s and period >= step x samples, got step="
              + step
              + " period="
              + period
              + " samples="
              + cpu.length);
    }
    return new LoadCurve(
        cpu.clone(), memory.clone(), step.getSeconds(), period.getSeconds(), 1.0, 0);
  }

  /** The bundled Alibaba 2018 curve (300 s steps, 8-day period), loaded once from the classpath. */
  public static LoadCurve alibaba2018() {
    LoadCurve c = alibaba;
    if (c == null) {
      synchronized (LoadCurve.class) {
        if (alibaba == null) {
          alibaba = load(ALIBABA_2018);
        }
        c = alibaba;
      }
    }
    return c;
  }

  private static LoadCurve load(String resource) {
    try (InputStream in = LoadCurve.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("load curve " + resource + " is not on the classpath");
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      String header = r.readLine();
      if (header == null || !header.startsWith("cpu_util_percent,mem_util_percent")) {
        throw new IllegalStateException("unexpected header in " + resource + ": " + header);
      }
      List<double[]> rows = new ArrayList<>();
      String line;
      int lineNo = 1;
      while ((line = r.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        String[] f = line.split(",");
        try {
          rows.add(
              new double[] {Double.parseDouble(f[0]) / 100.0, Double.parseDouble(f[1]) / 100.0});
        } catch (RuntimeException e) {
          throw new IllegalStateException(
              resource + " line " + lineNo + " is not numeric: " + line, e);
        }
      }
      double[] cpu = new double[rows.size()];
      double[] mem = new double[rows.size()];
      for (int i = 0; i < rows.size(); i++) {
        cpu[i] = rows.get(i)[0];
        mem[i] = rows.get(i)[1];
      }
      return of(cpu, mem, Duration.ofSeconds(300), Duration.ofDays(8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * This curve multiplied by {@code factor} (results are clamped to 0..1) and shifted by {@code
   * phase} (a positive phase makes the curve happen later).
   */
  public LoadCurve scaled(double factor, Duration phase) {
    if (!(factor >= 0) || Double.isInfinite(factor)) {
      throw new IllegalArgumentException("load factor must be a finite number >= 0, got " + factor);
    }
    return new LoadCurve(
        cpu,
        memory,
        stepSeconds,
        periodSeconds,
        this.factor * factor,
        offsetSeconds + phase.getSeconds());
  }

  /** CPU utilization (0..1) at {@code t}. */
  public double cpu(Instant t) {
    return Math.min(1.0, factor * interpolate(cpu, t));
  }

  /** Memory utilization (0..1) at {@code t}. */
  public double memory(Instant t) {
    return Math.min(1.0, factor * interpolate(memory, t));
  }

  /** The highest CPU utilization of the curve (after scaling). */
  public double peakCpu() {
    double max = 0;
    for (double v : cpu) {
      max = Math.max(max, v);
    }
    return Math.min(1.0, max * factor);
  }

  /**
   * The latest instant at or before {@code t} at which the curve's period begins (its first
   * sample): for {@link #alibaba2018()}, 08:00 UTC on the first day of an 8-day cycle of the trace.
   */
  public Instant periodStartAtOrBefore(Instant t) {
    Instant first = ANCHOR.plusSeconds(offsetSeconds);
    long periods = Math.floorDiv(Duration.between(first, t).getSeconds(), periodSeconds);
    return first.plusSeconds(periods * periodSeconds);
  }

  public Duration period() {
    return Duration.ofSeconds(periodSeconds);
  }

  public Duration step() {
    return Duration.ofSeconds(stepSeconds);
  }

  private double interpolate(double[] samples, Instant t) {
    double pos = Duration.between(ANCHOR, t).toMillis() / 1000.0 - offsetSeconds;
    pos = ((pos % periodSeconds) + periodSeconds) % periodSeconds;
    double index = pos / stepSeconds;
    int i = (int) Math.floor(index);
    double frac = index - i;
    int n = samples.length;
    double gapEnd = (double) periodSeconds / stepSeconds;
    if (i >= n - 1) {
      // Between the last sample and the wrap to the first one.
      double start = n - 1;
      double span = gapEnd - start;
      double w = span <= 0 ? 0 : (index - start) / span;
      return samples[n - 1] + (samples[0] - samples[n - 1]) * Math.min(1, Math.max(0, w));
    }
    return samples[i] + (samples[i + 1] - samples[i]) * frac;
  }
}
