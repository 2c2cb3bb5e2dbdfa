package io.gleaner.broker.grpc;

import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.api.v1.ReclaimFilter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The latest reclaim events the broker heard of (from Withdraw), for WatchReclaims and the
 * dashboard.
 */
public final class ReclaimLog {
  private static final Logger log = LoggerFactory.getLogger(ReclaimLog.class);

  private final int capacity;
  private final Deque<ReclaimEvent> recent = new ArrayDeque<>();
  private final List<Consumer<ReclaimEvent>> listeners = new CopyOnWriteArrayList<>();

  public ReclaimLog(int capacity) {
    this.capacity = capacity;
  }

  public void publish(ReclaimEvent e) {
    synchronized (recent) {
      recent.addFirst(e);
      while (recent.size() > capacity) {
        recent.removeLast();
      }
    }
    for (Consumer<ReclaimEvent> l : listeners) {
      try {
        l.accept(e);
      } catch (RuntimeException ex) {
        log.warn("reclaim listener failed on event {}", e.getId(), ex);
      }
    }
  }

  /** The retained events matching the filter, newest first. */
  public List<ReclaimEvent> recent(ReclaimFilter f) {
    synchronized (recent) {
      List<ReclaimEvent> out = new ArrayList<>();
      for (ReclaimEvent e : recent) {
        if (matches(f, e)) {
          out.add(e);
        }
      }
      return out;
    }
  }

  public void addListener(Consumer<ReclaimEvent> l) {
    listeners.add(l);
  }

  public void removeListener(Consumer<ReclaimEvent> l) {
    listeners.remove(l);
  }

  static boolean matches(ReclaimFilter f, ReclaimEvent e) {
    return (f.getClustersCount() == 0 || f.getClustersList().contains(e.getCluster()))
        && (f.getSourcesCount() == 0 || f.getSourcesList().contains(e.getSource()));
  }
}
