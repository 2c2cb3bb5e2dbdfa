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

/**
 * How long the room of each lent node of one online member is forecast to last, and how much online
 * demand (CPU requests of online pods, what the scheduler places by) the node itself is forecast to
 * see within the next hour.
 *
 * <p>A lent node's room runs out in the first clock hour, from the current one up to {@code
 * horizonHours} ahead, in which either
 *
 * <ul>
 *   <li>the node's own forecast online demand fills it (more than its allocatable less what
 *       non-online pods hold), or
 *   <li>the member's forecast online demand no longer fits on its nodes that are not lent
 *       (schedulable, allocatable less what non-online pods hold), and the overflow reaches this
 *       node: lent nodes are taken back in order, the most recently lent first (they hold the
 *       youngest work), each absorbing what it could hold of online pods.
 * </ul>
 *
 * A node whose room runs out within the lead time is draining: it takes no new pods, so the pods it
 * has finish (or are moved) before online work needs it back. Pure; the hour is the resolution.
 */
public final class RoomForecast {
  private RoomForecast() {}

  /**
   * One node of the member, as the detector sees it now.
   *
   * @param name the node's name
   * @param allocatableMillis allocatable CPU
   * @param heldMillis CPU requested by pods that are neither online load nor Gleaner's (DaemonSets)
   * @param onlineMillis CPU requested by online pods now
   * @param lentAt when it was lent; empty when it is not lent
   * @param schedulable ready and not cordoned
   * @param history its own hourly online history
   */
  public record Node(
      String name,
      long allocatableMillis,
      long heldMillis,
      long onlineMillis,
      Optional<Instant> lentAt,
      boolean schedulable,
      OnlineHistory history) {
    public Node {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(lentAt, "lentAt");
      Objects.requireNonNull(history, "history");
    }

    long capacityForOnline() {
      return Math.max(0, allocatableMillis - heldMillis);
    }
  }

  /**
   * The verdict on one lent node.
   *
   * @param peakMillis online demand the node must keep room for over the next hour: the larger of
   *     its demand now and its own forecast for the current and the next clock hour
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
    long notLent = 0;
    List<Node> lent = new ArrayList<>();
    for (Node n : nodes) {
      if (n.lentAt().isPresent()) {
        lent.add(n);
      } else if (n.schedulable()) {
        notLent += n.capacityForOnline();
      }
    }
    lent.sort(
        Comparator.comparing((Node n) -> n.lentAt().get()).reversed().thenComparing(Node::name));
    Map<String, Long> breachHour = new HashMap<>();
    for (long target = current; target <= current + horizonHours; target++) {
      OptionalDouble m = forecast.peak(member.requests(), current, target);
      double overflow = m.isPresent() ? m.getAsDouble() - notLent : 0;
      long absorbed = 0;
      for (Node n : lent) {
        boolean reached = absorbed < overflow;
        absorbed += n.capacityForOnline();
        if (breachHour.containsKey(n.name())) {
          continue;
        }
        OptionalDouble own = forecast.peak(n.history().requests(), current, target);
        if (reached || own.isPresent() && own.getAsDouble() > n.capacityForOnline()) {
          breachHour.put(n.name(), target);
        }
      }
    }
    Map<String, Verdict> out = new HashMap<>();
    for (Node n : lent) {
      long peak = n.onlineMillis();
      for (long target = current; target <= current + 1; target++) {
        OptionalDouble own = forecast.peak(n.history().requests(), current, target);
        if (own.isPresent()) {
          peak = Math.max(peak, (long) Math.ceil(own.getAsDouble()));
        }
      }
      Long hour = breachHour.get(n.name());
      Optional<Instant> until =
          hour == null
              ? Optional.empty()
              : Optional.of(hour == current ? now : HourlyPeaks.startOf(hour));
      boolean draining = until.isPresent() && until.get().isBefore(now.plus(leadTime));
      out.put(n.name(), new Verdict(peak, until, draining));
    }
    return out;
  }
}
