package io.gleaner.idle.forecast;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;

/**
 * The online load of one member node or one whole member, as hourly peaks (millicores) of two
 * series: the CPU the online pods request and the CPU online work uses (metrics; Gleaner's own pods
 * excluded). The room forecast reads the requests (what the scheduler places by); usage is kept
 * alongside for what measures actual load. Small by design: 2 × {@value HourlyPeaks#HOURS} numbers,
 * about 2 KB as text. The requests of the last {@link #RECENT_SPAN} are also kept sample by sample
 * ({@link #recentRequests()}, in memory only, not encoded): the room forecast's trend within the
 * hour. Not thread-safe.
 */
public final class OnlineHistory {
  /** How far back the requests are kept sample by sample. */
  public static final Duration RECENT_SPAN = Duration.ofMinutes(30);

  private final HourlyPeaks requests;
  private final HourlyPeaks usage;
  private final RecentSamples recentRequests = new RecentSamples(RECENT_SPAN);

  public OnlineHistory() {
    this(new HourlyPeaks(), new HourlyPeaks());
  }

  private OnlineHistory(HourlyPeaks requests, HourlyPeaks usage) {
    this.requests = requests;
    this.usage = usage;
  }

  /** Records a sample at {@code t}; usage only when it was measured. */
  public void record(Instant t, long requestsMillis, OptionalLong usageMillis) {
    long hour = HourlyPeaks.hourOf(t);
    requests.record(hour, requestsMillis);
    recentRequests.record(t, requestsMillis);
    if (usageMillis.isPresent()) {
      usage.record(hour, usageMillis.getAsLong());
    }
  }

  public HourlyPeaks requests() {
    return requests;
  }

  public HourlyPeaks usage() {
    return usage;
  }

  /** The requests recorded over the last {@link #RECENT_SPAN}, sample by sample. */
  public RecentSamples recentRequests() {
    return recentRequests;
  }

  public boolean isEmpty() {
    return requests.isEmpty() && usage.isEmpty();
  }

  /** {@code requests=<peaks>\nusage=<peaks>\n} in {@link HourlyPeaks#encode()}'s form, UTF-8. */
  public byte[] encode() {
    return ("requests=" + requests.encode() + "\nusage=" + usage.encode() + "\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Reads {@link #encode()}'s form.
   *
   * @throws IllegalArgumentException when the bytes are not in that form
   */
  public static OnlineHistory decode(byte[] data) {
    HourlyPeaks r = null;
    HourlyPeaks u = null;
    for (String line : new String(data, StandardCharsets.UTF_8).split("\n")) {
      if (line.startsWith("requests=")) {
        r = HourlyPeaks.decode(line.substring("requests=".length()));
      } else if (line.startsWith("usage=")) {
        u = HourlyPeaks.decode(line.substring("usage=".length()));
      } else if (!line.isBlank()) {
        throw new IllegalArgumentException("online history: unexpected line \"" + line + "\"");
      }
    }
    if (r == null || u == null) {
      throw new IllegalArgumentException("online history: requests= and usage= lines required");
    }
    return new OnlineHistory(r, u);
  }
}
