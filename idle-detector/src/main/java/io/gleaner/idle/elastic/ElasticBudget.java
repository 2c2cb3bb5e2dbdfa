package io.gleaner.idle.elastic;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

/**
 * The core-hours Gleaner's pods hold on elastic members per UTC day: the CPU requests they hold,
 * integrated over time as a step function (each observation holds until the next). Not thread-safe;
 * the detector thread owns it. In memory: a restarted detector starts the day at zero.
 */
public final class ElasticBudget {
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
