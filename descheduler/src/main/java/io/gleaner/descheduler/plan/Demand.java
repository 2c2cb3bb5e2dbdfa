package io.gleaner.descheduler.plan;

import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Something that needs room on lent nodes: pending online pods, or a co-location node over its
 * batch capacity.
 */
public sealed interface Demand permits Demand.Pods, Demand.Pressure {

  String id();

  Reason reason();

  /** When the need was first observed; the reclaim latency is measured from here. */
  Instant triggeredAt();

  /**
   * Online pods to place together: one pod ({@code minPlaced = 1}) or a gang, of which at least
   * {@code minPlaced} must fit or nothing is evicted for it.
   */
  record Pods(String id, Reason reason, List<PendingPod> pods, int minPlaced) implements Demand {
    public Pods {
      Objects.requireNonNull(id, "demand id");
      Objects.requireNonNull(reason, "demand reason");
      pods = List.copyOf(pods);
      if (pods.isEmpty()) {
        throw new IllegalArgumentException("demand " + id + ": no pods");
      }
      if (minPlaced < 1 || minPlaced > pods.size()) {
        throw new IllegalArgumentException(
            "demand " + id + ": minPlaced must be in 1.." + pods.size() + ", got " + minPlaced);
      }
    }

    public static Pods single(PendingPod pod) {
      return new Pods(pod.key(), Reason.UNSCHEDULABLE, List.of(pod), 1);
    }

    public int maxPriority() {
      return pods.stream().mapToInt(PendingPod::priority).max().orElse(0);
    }

    public Resources total() {
      Resources t = Resources.ZERO;
      for (PendingPod p : pods) {
        t = t.plus(p.requests());
      }
      return t;
    }

    @Override
    public Instant triggeredAt() {
      return pods.stream()
          .map(PendingPod::unschedulableSince)
          .min(Instant::compareTo)
          .orElseThrow();
    }
  }

  /**
   * A co-location node whose batch allocatable fell below what Gleaner pods there request: {@code
   * excess} must be freed on that very node.
   */
  record Pressure(String node, Resources excess, Instant triggeredAt) implements Demand {
    public Pressure {
      Objects.requireNonNull(node, "pressure node");
      Objects.requireNonNull(excess, "pressure excess");
      Objects.requireNonNull(triggeredAt, "pressure triggeredAt");
    }

    @Override
    public String id() {
      return "node/" + node;
    }

    @Override
    public Reason reason() {
      return Reason.COLOCATION_PRESSURE;
    }
  }
}
