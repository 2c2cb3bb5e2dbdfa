package io.gleaner.idle.forecast;

import java.time.Instant;
import java.util.Arrays;
import java.util.OptionalLong;

/**
 * The peak of one non-negative series per clock hour (UTC), over the last {@link #HOURS} hours:
 * enough for the forecast's same-hour-7-days-ago term plus a day. Hours are numbered from the epoch
 * ({@code epochMillis / 3,600,000}). Hours never recorded are unknown, not zero. Not thread-safe.
 */
public final class HourlyPeaks {
  /** Eight days of hours. */
  public static final int HOURS = 192;

  private static final long UNKNOWN = -1;

  private final long[] slots = new long[HOURS];
  private long newest = Long.MIN_VALUE;

  public HourlyPeaks() {
    Arrays.fill(slots, UNKNOWN);
  }

  /** The epoch hour {@code t} falls in. */
  public static long hourOf(Instant t) {
    return Math.floorDiv(t.toEpochMilli(), 3_600_000L);
  }

  /** The instant an epoch hour starts. */
  public static Instant startOf(long hour) {
    return Instant.ofEpochMilli(hour * 3_600_000L);
  }

  /**
   * Raises the peak of {@code hour} to {@code value} (negative values count as 0). A newer hour
   * slides the window (hours skipped stay unknown); an hour older than the window is ignored.
   */
  public void record(long hour, long value) {
    long v = Math.max(0, value);
    if (newest == Long.MIN_VALUE) {
      newest = hour;
    } else if (hour > newest) {
      long gap = Math.min(HOURS, hour - newest);
      for (long h = newest + 1; h <= newest + gap; h++) {
        slots[slot(h)] = UNKNOWN;
      }
      newest = hour;
    } else if (hour <= newest - HOURS) {
      return;
    }
    int i = slot(hour);
    slots[i] = Math.max(slots[i], v);
  }

  /** The peak recorded for {@code hour}, if that hour is in the window and was recorded. */
  public OptionalLong peak(long hour) {
    if (newest == Long.MIN_VALUE || hour > newest || hour <= newest - HOURS) {
      return OptionalLong.empty();
    }
    long v = slots[slot(hour)];
    return v == UNKNOWN ? OptionalLong.empty() : OptionalLong.of(v);
  }

  /** The newest hour recorded, if any. */
  public OptionalLong newestHour() {
    return newest == Long.MIN_VALUE ? OptionalLong.empty() : OptionalLong.of(newest);
  }

  /** Whether no hour is known. */
  public boolean isEmpty() {
    if (newest == Long.MIN_VALUE) {
      return true;
    }
    for (long v : slots) {
      if (v != UNKNOWN) {
        return false;
      }
    }
    return true;
  }

  /**
   * Compact text: {@code <newest hour>:<peak of the oldest hour>,...,<peak of the newest hour>},
   * unknown hours empty, trailing unknowns of the oldest end dropped; {@code ""} when empty.
   */
  public String encode() {
    if (newest == Long.MIN_VALUE) {
      return "";
    }
    StringBuilder b = new StringBuilder().append(newest).append(':');
    long from = newest - HOURS + 1;
    while (from < newest && slots[slot(from)] == UNKNOWN) {
      from++;
    }
    for (long h = from; h <= newest; h++) {
      if (h > from) {
        b.append(',');
      }
      long v = slots[slot(h)];
      if (v != UNKNOWN) {
        b.append(v);
      }
    }
    return b.toString();
  }

  /**
   * Reads {@link #encode()}'s form.
   *
   * @throws IllegalArgumentException when the text is not in that form
   */
  public static HourlyPeaks decode(String text) {
    HourlyPeaks p = new HourlyPeaks();
    if (text == null || text.isEmpty()) {
      return p;
    }
    int colon = text.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("hourly peaks \"" + abbreviate(text) + "\": no hour");
    }
    try {
      long newest = Long.parseLong(text.substring(0, colon));
      String[] values = text.substring(colon + 1).split(",", -1);
      if (values.length > HOURS) {
        throw new IllegalArgumentException(
            "hourly peaks: " + values.length + " hours, at most " + HOURS);
      }
      p.newest = newest;
      long first = newest - values.length + 1;
      for (int i = 0; i < values.length; i++) {
        if (!values[i].isEmpty()) {
          long v = Long.parseLong(values[i]);
          if (v < 0) {
            throw new IllegalArgumentException("hourly peaks: negative peak " + v);
          }
          p.slots[p.slot(first + i)] = v;
        }
      }
      return p;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "hourly peaks \"" + abbreviate(text) + "\": " + e.getMessage(), e);
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  private int slot(long hour) {
    return (int) Math.floorMod(hour, (long) HOURS);
  }
}
