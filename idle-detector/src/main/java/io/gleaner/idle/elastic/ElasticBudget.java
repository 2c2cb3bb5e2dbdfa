package io.gleaner.idle.elastic;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

/**
 * The core-hours Gleaner's pods hold on elastic members per UTC day: the CPU requests they hold,
 * integrated over time as a step function (each observation holds until the next). Not thread-safe;
 * the detector thread owns it. What it spent ({@link #spent}) is saved by the detector, and a
 * restarted detector {@link #resume}s from it.
 */
public final class ElasticBudget {
  /** What a budget spent: on UTC day {@code day}, and in all. */
  public record Spent(LocalDate day, double today, double total) {
    /** One line, readable with {@code zkCli get}: {@code <day> <today> <total>}. */
    public byte[] encode() {
      return String.format(java.util.Locale.ROOT, "%s %.6f %.6f", day, today, total)
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * @throws IllegalArgumentException when {@code data} is not what {@link #encode} writes
     */
    public static Spent decode(byte[] data) {
      String[] f = new String(data, java.nio.charset.StandardCharsets.UTF_8).trim().split(" ");
      try {
        if (f.length != 3) {
          throw new IllegalArgumentException("expected <day> <today> <total>");
        }
        return new Spent(LocalDate.parse(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("unreadable elastic spending: " + e.getMessage(), e);
      }
    }
  }

  private final Map<String, Long> heldMillis = new HashMap<>();
  private Instant last;
  private LocalDate day;
  private double spentToday;
  private double spentTotal;

  /** The CPU millicores Gleaner's pods hold on {@code cluster} from {@code now} on. */
  public void observe(String cluster, Instant now, long cpuMillis) {
    advance(now);
    if (cpuMillis <= 0) {
      heldMillis.remove(cluster);
    } else {
      heldMillis.put(cluster, cpuMillis);
    }
  }

  /** Forgets a member (no longer elastic, or removed) from {@code now} on. */
  public void forget(String cluster, Instant now) {
    observe(cluster, now, 0);
  }

  /** Core-hours spent on the UTC day of {@code now}, up to {@code now}. */
  public double spentToday(Instant now) {
    advance(now);
    return spentToday;
  }

  /** Core-hours spent since this budget started, up to {@code now}. */
  public double spentTotal(Instant now) {
    advance(now);
    return spentTotal;
  }

  /** What this budget spent, up to {@code now}. */
  public Spent spent(Instant now) {
    advance(now);
    return new Spent(day, spentToday, spentTotal);
  }

  /**
   * Adds what a previous detector spent ({@code earlier}, as {@link #spent} gave it): to the total,
   * and to today when it is of the same UTC day as {@code now} (a later one, from a clock ahead,
   * counts too); of an earlier day it counts to the total only, as at midnight. What was held
   * between its save and {@code now} is not known and not counted.
   */
  public void resume(Spent earlier, Instant now) {
    advance(now);
    spentTotal += earlier.total();
    if (!earlier.day().isBefore(day)) {
      spentToday += earlier.today();
    }
  }

  /** CPU millicores held now, over every elastic member. */
  public long heldMillis() {
    long sum = 0;
    for (long v : heldMillis.values()) {
      sum += v;
    }
    return sum;
  }

  private void advance(Instant now) {
    if (last == null) {
      last = now;
      day = day(now);
      return;
    }
    if (!now.isAfter(last)) {
      return;
    }
    long held = heldMillis();
    while (day(now).isAfter(day)) {
      Instant midnight = day.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
      add(held, last, midnight);
      last = midnight;
      day = day.plusDays(1);
      spentToday = 0;
    }
    add(held, last, now);
    last = now;
  }

  private void add(long held, Instant from, Instant to) {
    double hours = (to.toEpochMilli() - from.toEpochMilli()) / 3_600_000.0;
    double coreHours = held / 1000.0 * hours;
    spentToday += coreHours;
    spentTotal += coreHours;
  }

  private static LocalDate day(Instant t) {
    return LocalDate.ofInstant(t, ZoneOffset.UTC);
  }
}
