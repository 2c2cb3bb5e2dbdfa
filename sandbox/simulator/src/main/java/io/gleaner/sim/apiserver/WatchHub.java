package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleaner.sim.apiserver.ObjectStore.Subscription;
import io.gleaner.sim.apiserver.ObjectStore.WatchEvent;
import io.gleaner.sim.apiserver.ObjectStore.Watcher;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * The watches of one {@link ObjectStore}: per resource type, the open watches and a bounded history
 * of events, so that a watch can resume from a resource version (410 Gone when the history no
 * longer reaches back that far). A watch with a namespace or a selector sees an object that enters
 * its selection as ADDED and one that leaves it as DELETED, as kube-apiserver's watch cache does.
 *
 * <p>{@link #watch} and {@link #publish} must be called with the store lock held, so that every
 * watcher sees events in resource-version order.
 */
final class WatchHub {
  private static final int HISTORY = 8192;

  private static final class Channel {
    final ArrayDeque<Stored> history = new ArrayDeque<>();
    final List<Registration> watchers = new CopyOnWriteArrayList<>();

    /** Events with resource version at or below this have been dropped from the history. */
    long evictedUpTo;
  }

  private record Stored(long rv, WatchEvent event, ObjectNode old) {}

  private final class Registration implements Subscription {
    final ResourceType type;
    final String namespace;
    final Predicate<JsonNode> filter;
    final Watcher watcher;

    Registration(ResourceType type, String namespace, Predicate<JsonNode> filter, Watcher watcher) {
      this.type = type;
      this.namespace = namespace;
      this.filter = filter;
      this.watcher = watcher;
    }

    boolean matches(ObjectNode o) {
      if (o == null) {
        return false;
      }
      if (namespace != null && !namespace.equals(o.path("metadata").path("namespace").asText())) {
        return false;
      }
      return filter.test(o);
    }

    void deliver(WatchEvent e, ObjectNode old) {
      boolean matchNew = matches(e.object());
      boolean matchOld = old != null && matches(old);
      switch (e.type()) {
        case ObjectStore.ADDED -> {
          if (matchNew) {
            watcher.onEvent(e);
          }
        }
        case ObjectStore.DELETED -> {
          if (matchNew) {
            watcher.onEvent(e);
          }
        }
        default -> {
          if (matchNew && matchOld) {
            watcher.onEvent(e);
          } else if (matchNew) {
            watcher.onEvent(new WatchEvent(ObjectStore.ADDED, e.object(), type));
          } else if (matchOld) {
            watcher.onEvent(new WatchEvent(ObjectStore.DELETED, e.object(), type));
          }
        }
      }
    }

    @Override
    public void close() {
      channel(type).watchers.remove(this);
    }
  }

  private final Map<ResourceType, Channel> channels = new ConcurrentHashMap<>();

  private Channel channel(ResourceType type) {
    return channels.computeIfAbsent(type, t -> new Channel());
  }

  /**
   * Starts a watch. {@code resourceVersion} null, empty or "0" first sends every object of {@code
   * current} that matches as ADDED; otherwise events after that version are replayed from the
   * history, or 410 Gone is thrown ({@code currentResourceVersion} for its message).
   */
  Subscription watch(
      ResourceType type,
      String namespace,
      Predicate<JsonNode> filter,
      String resourceVersion,
      Watcher watcher,
      Collection<ObjectNode> current,
      long currentResourceVersion) {
    Channel c = channel(type);
    Registration reg =
        new Registration(type, type.namespaced() ? namespace : null, filter, watcher);
    if (resourceVersion == null || resourceVersion.isEmpty() || resourceVersion.equals("0")) {
      for (ObjectNode o : current) {
        if (reg.matches(o)) {
          watcher.onEvent(new WatchEvent(ObjectStore.ADDED, o, type));
        }
      }
    } else {
      long from;
      try {
        from = Long.parseLong(resourceVersion);
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("invalid resource version \"" + resourceVersion + "\"");
      }
      if (from < c.evictedUpTo) {
        throw new ApiException(
            410,
            "Expired",
            "too old resource version: " + from + " (" + currentResourceVersion + ")");
      }
      for (Stored s : c.history) {
        if (s.rv() > from) {
          reg.deliver(s.event(), s.old());
        }
      }
    }
    c.watchers.add(reg);
    return reg;
  }

  /**
   * Records a change at {@code rv} and hands it to the matching watches; a watcher that throws is
   * dropped. {@code old} is the state before (null for ADDED).
   */
  void publish(ResourceType type, long rv, String eventType, ObjectNode object, ObjectNode old) {
    Channel c = channel(type);
    WatchEvent e = new WatchEvent(eventType, object, type);
    c.history.addLast(new Stored(rv, e, old));
    while (c.history.size() > HISTORY) {
      c.evictedUpTo = c.history.removeFirst().rv();
    }
    for (Registration r : c.watchers) {
      try {
        r.deliver(e, old);
      } catch (RuntimeException ex) {
        c.watchers.remove(r);
      }
    }
  }

  /** Open watches over every resource type. */
  int watchCount() {
    int n = 0;
    for (Channel c : channels.values()) {
      n += c.watchers.size();
    }
    return n;
  }

  /** Closes all watches (server shutdown). */
  void closeAll() {
    for (Channel c : channels.values()) {
      c.watchers.clear();
    }
  }
}
