package io.gleaner.idle.forecast;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

/**
 * How long the room of each lent node of one online member is forecast to last, and how much online
 * demand (CPU requests of online pods, what the scheduler places by) the node itself must keep room
 * for within the next hour.
 *
 * <p>Online pods that the member's scheduler places may land on any node, so which node held them
 * in past hours says little about where they go next: the room is forecast for the member as a
 * whole. The member's forecast online demand first fills its nodes that are not lent (schedulable,
 * allocatable less what non-online pods, Gleaner's still running there included, hold); the
 * overflow then reaches the lent nodes in order, the most recently lent first (they hold the
 * youngest work), each absorbing what it could hold of online pods. Online pods already on a lent
 * node hold their room there: they are part of the member's demand and already fill that much of
 * the lent nodes, so the overflow reaches lent nodes only past them, and each lent node absorbs
 * what it could hold beyond its own online pods. Counting them as demand that must reach whole lent
 * nodes in order counted them twice (in the offer of the node they run on, and in the nodes drained
 * for them): measured in {@code gleaner bench harvest} on the same day, holding them where they are
 * raised the harvest ratio by 1.6-1.8 points on three seeds at about the same wasted work
 * (docs/figures.md). Within a target clock hour the demand is taken to move in a straight line from
 * where it stands (the member's demand now for the current hour, the previous hour's forecast after
 * that) to the hour's forecast peak, so a node reached late in the hour keeps its room until then
 * instead of from the hour's start.
 *
 * <p>A node's own history counts only where it is stable ({@link #stable}): its last {@value
 * #STABLE_HOURS} completed hours repeat the same hours a day earlier within {@value
 * #STABLE_TOLERANCE} of what it holds for online pods, the mark of load pinned to it (a node's own
 * service, local data) rather than replicas the scheduler moves from hour to hour. For such a node
 * the room also runs out in the first clock hour in which its own forecast fills it, and it keeps
 * room for its own forecast peak of the current and the next hour.
 *
 * <p>The member's trend within the hour: the hourly forecast does not see a ramp that comes earlier
 * than on the days before. When the member's demand rose over the last {@link #TREND_WINDOW}
 * ({@link OnlineHistory#recentRequests()}), that rise is carried on in a straight line over the
 * lead time, and a lent node whose room that line reaches earlier than the hourly forecast does
 * runs out of room then. A falling or unknown trend changes nothing.
 *
 * <p>A node whose room runs out within the lead time is draining: it takes no new pods, so the pods
 * it has finish (or are moved) before online work needs it back. Pure.
 */
public final class RoomForecast {
  /** Completed hours a node's own history must repeat from the day before to count. */
  public static final int STABLE_HOURS = 3;

  /** How far (a share of what the node holds for online pods) a repeated hour may differ. */
  public static final double STABLE_TOLERANCE = 0.1;

  /** How far back the member's trend within the hour is read. */
  public static final Duration TREND_WINDOW = Duration.ofMinutes(10);

  /**
   * How long the member's demand must not have risen for a returned node to be lent again before
   * its cool-down ends ({@link #lendableInCoolDown}).
   */
  public static final Duration CALM_WINDOW = Duration.ofMinutes(15);

  private RoomForecast() {}

  /**
   * One node of the member, as the detector sees it now.
   *
   * @param name the node's name
   * @param allocatableMillis allocatable CPU
   * @param heldMillis CPU requested by pods that are neither online load nor Gleaner's (DaemonSets)
   * @param gleanerMillis CPU requested by Gleaner's pods on it (they hold a node that is not lent
   *     until they finish or are reclaimed)
   * @param onlineMillis CPU requested by online pods now
   * @param lentAt when it was lent; empty when it is not lent
   * @param schedulable ready and not cordoned
   * @param history its own hourly online history
   */
  public record Node(
      String name,
      long allocatableMillis,
      long heldMillis,
      long gleanerMillis,
      long onlineMillis,
      Optional<Instant> lentAt,
      boolean schedulable,
      OnlineHistory history) {
    public Node {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(lentAt, "lentAt");
      Objects.requireNonNull(history, "history");
    }

    /** A node without Gleaner's pods on it. */
    public Node(
        String name,
        long allocatableMillis,
        long heldMillis,
        long onlineMillis,
        Optional<Instant> lentAt,
        boolean schedulable,
        OnlineHistory history) {
      this(name, allocatableMillis, heldMillis, 0, onlineMillis, lentAt, schedulable, history);
    }

    long capacityForOnline() {
      return Math.max(0, allocatableMillis - heldMillis);
    }

    /** What the online pods on it hold of what it has for online pods. */
    long heldForOnline() {
      return Math.min(Math.max(0, onlineMillis), capacityForOnline());
    }

    /** What online pods could use now on a node that is not lent. */
    long freeForOnline() {
      return Math.max(0, allocatableMillis - heldMillis - gleanerMillis);
    }
  }

  /**
   * The verdict on one lent node.
   *
   * @param peakMillis online demand the node must keep room for over the next hour: its demand now,
   *     or for a node with a stable history the larger of that and its own forecast for the current
   *     and the next clock hour
   * @param roomUntil when its room is forecast to run out; empty when not within the horizon
   * @param draining the room runs out within the lead time: take no new pods
   */
  public record Verdict(long peakMillis, Optional<Instant> roomUntil, boolean draining) {}

  /**
   * Verdicts for every lent node of the member.
   *
   * @param forecast the forecast mix
   * @param now the detector's clock
   * @param leadTime how far ahead a breach makes a node drain
   * @param horizonHours how many clock hours after the current one are looked at (at least 1)
   * @param member the member's own hourly online history
   * @param nodes every node of the member
   */
  public static Map<String, Verdict> plan(
      LoadForecast forecast,
      Instant now,
      Duration leadTime,
      int horizonHours,
      OnlineHistory member,
      List<Node> nodes) {
    if (horizonHours < 1) {
      throw new IllegalArgumentException("horizonHours must be at least 1, got " + horizonHours);
    }
    long current = HourlyPeaks.hourOf(now);
    // what online pods may use before the overflow reaches a lent node's room: the nodes not lent,
    // and what online pods already hold on lent nodes
    long beforeLent = 0;
    long demandNow = 0;
    List<Node> lent = new ArrayList<>();
    for (Node n : nodes) {
      demandNow += n.onlineMillis();
      if (n.lentAt().isPresent()) {
        lent.add(n);
        beforeLent += n.heldForOnline();
      } else if (n.schedulable()) {
        beforeLent += n.freeForOnline();
      }
    }
    lent.sort(
        Comparator.comparing((Node n) -> n.lentAt().get()).reversed().thenComparing(Node::name));
    Map<String, Instant> breach = new HashMap<>();
    double from = demandNow;
    for (long target = current; target <= current + horizonHours; target++) {
      Instant start = target == current ? now : HourlyPeaks.startOf(target);
      Instant end = HourlyPeaks.startOf(target + 1);
      OptionalDouble m = forecast.peak(member.requests(), current, target);
      double to = m.isPresent() ? m.getAsDouble() : from;
      double threshold = beforeLent;
      for (Node n : lent) {
        if (!breach.containsKey(n.name())) {
          if (m.isPresent() && to > threshold) {
            breach.put(n.name(), crossing(from, to, threshold, start, end));
          } else if (stable(n, current)) {
            OptionalDouble own = forecast.peak(n.history().requests(), current, target);
            if (own.isPresent() && own.getAsDouble() > n.capacityForOnline()) {
              breach.put(n.name(), start);
            }
          }
        }
        threshold += n.capacityForOnline() - n.heldForOnline();
      }
      from = to;
    }
    double rise = trend(member, now);
    if (rise > 0) {
      // the rise of the last TREND_WINDOW, carried on over the lead time
      Instant until = now.plus(leadTime);
      double to = demandNow + rise * leadTime.toMillis() / TREND_WINDOW.toMillis();
      double threshold = beforeLent;
      for (Node n : lent) {
        if (to > threshold) {
          Instant at = crossing(demandNow, to, threshold, now, until);
          Instant hourly = breach.get(n.name());
          if (hourly == null || at.isBefore(hourly)) {
            breach.put(n.name(), at);
          }
        }
        threshold += n.capacityForOnline() - n.heldForOnline();
      }
    }
    Map<String, Verdict> out = new HashMap<>();
    for (Node n : lent) {
      long peak = n.onlineMillis();
      if (stable(n, current)) {
        for (long target = current; target <= current + 1; target++) {
          OptionalDouble own = forecast.peak(n.history().requests(), current, target);
          if (own.isPresent()) {
            peak = Math.max(peak, (long) Math.ceil(own.getAsDouble()));
          }
        }
      }
      Optional<Instant> until = Optional.ofNullable(breach.get(n.name()));
      boolean draining = until.isPresent() && until.get().isBefore(now.plus(leadTime));
      out.put(n.name(), new Verdict(peak, until, draining));
    }
    return out;
  }

  /**
   * The nodes among {@code candidates} (idle, not lent yet) lent at once instead of after the idle
   * wait: all of them once the member has a forecast of the current hour. The forecast then stands
   * in for the idle wait's evidence: it sizes each lent node's room ({@link #plan}), and a node it
   * needs back within the lead time is draining from the start, taking only pods that declare a run
   * time ending before then. None without that forecast (no history to go by: lending waits for the
   * idle timer).
   *
   * <p>Measured in {@code gleaner bench harvest} (docs/figures.md): lending at once instead of only
   * nodes whose room lasts the lead time + 1 h, with draining nodes taking such pods, raised the
   * forecast design's harvest ratio by 4 points and lowered its wasted core-hours.
   *
   * @param candidates names of idle nodes of the member not lent yet
   */
  public static Set<String> lendableAtOnce(
      LoadForecast forecast, Instant now, OnlineHistory member, Set<String> candidates) {
    long current = HourlyPeaks.hourOf(now);
    if (candidates.isEmpty() || forecast.peak(member.requests(), current, current).isEmpty()) {
      return Set.of();
    }
    return Set.copyOf(candidates);
  }

  /**
   * The returned nodes among {@code candidates} (cooling down after a return, idle again) lent
   * again before their cool-down ends: all of them when the member has a forecast of the current
   * hour and its online demand has not risen over the last {@link #CALM_WINDOW}; none otherwise
   * (rising, or too few recent samples to tell). The cool-down keeps a node the member's scheduler
   * just put online pods on out of the next ramp; while the member's demand is flat or falling,
   * those pods are the ones its scale-down removes first, and the node idles out its cool-down.
   *
   * <p>Measured in {@code gleaner bench harvest} (docs/figures.md): lending such nodes whenever
   * they are idle again raised the forecast design's harvest ratio by 9 points and multiplied its
   * wasted work by five, nearly all in the members' morning ramp; lending them only while the
   * member's demand is calm kept most of the gain at a fraction of that waste.
   *
   * @param candidates names of the member's nodes cooling down after a return and idle now
   */
  public static Set<String> lendableInCoolDown(
      LoadForecast forecast, Instant now, OnlineHistory member, Set<String> candidates) {
    Set<String> forecastKnown = lendableAtOnce(forecast, now, member, candidates);
    if (forecastKnown.isEmpty()) {
      return forecastKnown;
    }
    OptionalDouble change = member.recentRequests().change(now, CALM_WINDOW);
    return change.isEmpty() || change.getAsDouble() > 0 ? Set.of() : forecastKnown;
  }

  /** The member's rise over the last {@link #TREND_WINDOW}; 0 when it fell or is unknown. */
  static double trend(OnlineHistory member, Instant now) {
    OptionalDouble change = member.recentRequests().change(now, TREND_WINDOW);
    return change.isPresent() ? Math.max(0, change.getAsDouble()) : 0;
  }

  /**
   * When demand moving in a straight line from {@code from} at {@code start} to {@code to} at
   * {@code end} first exceeds {@code threshold} (which {@code to} exceeds): {@code start} when
   * {@code from} already does, to the second.
   */
  static Instant crossing(double from, double to, double threshold, Instant start, Instant end) {
    if (from > threshold || to <= from) {
      return start;
    }
    double share = (threshold - from) / (to - from);
    long seconds = Duration.between(start, end).toSeconds();
    return start.plusSeconds((long) Math.floor(share * seconds));
  }

  /**
   * Whether a node's own history is stable: each of its last {@value #STABLE_HOURS} completed hours
   * is known, and so is the same hour a day earlier, and each pair differs by at most {@value
   * #STABLE_TOLERANCE} of what the node holds for online pods.
   */
  static boolean stable(Node n, long current) {
    HourlyPeaks h = n.history().requests();
    double tolerance = STABLE_TOLERANCE * n.capacityForOnline();
    for (long hour = current - STABLE_HOURS; hour < current; hour++) {
      OptionalLong now = h.peak(hour);
      OptionalLong dayBefore = h.peak(hour - PeakForecast.DAY);
      if (now.isEmpty()
          || dayBefore.isEmpty()
          || Math.abs(now.getAsLong() - dayBefore.getAsLong()) > tolerance) {
        return false;
      }
    }
    return true;
  }
}
