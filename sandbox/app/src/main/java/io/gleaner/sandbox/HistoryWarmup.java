package io.gleaner.sandbox;

import io.gleaner.idle.forecast.DurableHistoryStore;
import io.gleaner.idle.forecast.HourlyPeaks;
import io.gleaner.idle.forecast.OnlineHistory;
import io.gleaner.meta.coord.StateStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.ToIntFunction;

/**
 * Warms the idle-detector's forecast before the sandbox starts it: for every online member, the
 * eight days of hourly online CPU requests its simulated service had before the run, computed from
 * the bundled Alibaba 2018 curve the service follows (replicas × CPU per replica, sampled every
 * minute as the service reconciles, capped at what the member's nodes hold, since pods beyond that
 * pend and are no node's requests), written where the detector reads them ({@link
 * DurableHistoryStore}).
 *
 * <p>Only the members' histories are warmed, not the nodes': which node a replica ran on is the
 * member scheduler's choice and is not in the trace. Node histories build up while the sandbox
 * runs.
 */
public final class HistoryWarmup {
  private HistoryWarmup() {}

  /**
   * The member's history over the {@link HourlyPeaks#HOURS} complete hours before {@code now}.
   *
   * @param replicasAt the replica count the service asks for at an instant
   * @param cpuMillisPerReplica CPU request of one replica
   * @param capacityMillis CPU the member's nodes hold for online pods
   */
  public static OnlineHistory memberHistory(
      ToIntFunction<Instant> replicasAt,
      long cpuMillisPerReplica,
      long capacityMillis,
      Instant now) {
    OnlineHistory h = new OnlineHistory();
    long current = HourlyPeaks.hourOf(now);
    for (long hour = current - HourlyPeaks.HOURS; hour < current; hour++) {
      Instant start = HourlyPeaks.startOf(hour);
      for (int minute = 0; minute < 60; minute++) {
        Instant t = start.plus(Duration.ofMinutes(minute));
        long requests =
            Math.min(capacityMillis, (long) replicasAt.applyAsInt(t) * cpuMillisPerReplica);
        h.record(t, requests, OptionalLong.empty());
      }
    }
    return h;
  }

  /** Writes each member's history and waits until it is durable. */
  public static void write(StateStore state, Map<String, OnlineHistory> members) {
    try (DurableHistoryStore store =
        new DurableHistoryStore(state, DurableHistoryStore.DEFAULT_ROOT)) {
      members.forEach(store::saveMember);
      store.flush();
    }
  }
}
