package io.gleaner.meta.coord;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link StateStore} in memory with the same semantics as {@link ZkStateStore} (versions,
 * implicit parents, atomic transactions, subtree watches), for unit tests of the components that
 * build on the store. Not durable.
 *
 * <p>Unlike ZooKeeper, watch events are delivered synchronously on the writing thread, before the
 * write returns, which keeps tests deterministic; listeners may read the store but must not wait
 * for other threads that write to it.
 */
public final class InMemoryStateStore implements StateStore {
  private static final Logger log = LoggerFactory.getLogger(InMemoryStateStore.class);

  private record Node(byte[] data, int version) {}

  private record Registration(String path, StateListener listener) {
    boolean covers(String p) {
      return p.equals(path) || path.equals("/") || p.startsWith(path + "/");
    }
  }

  private final TreeMap<String, Node> nodes = new TreeMap<>();
  private final List<Registration> watches = new CopyOnWriteArrayList<>();

  @Override
  public synchronized Optional<Versioned<byte[]>> get(String path) {
    StateStore.checkPath(path);
    Node n = nodes.get(path);
    return n == null ? Optional.empty() : Optional.of(new Versioned<>(n.data.clone(), n.version));
  }

  @Override
  public synchronized CasResult compareAndSet(String path, int expectedVersion, byte[] data) {
    StateStore.checkPath(path);
    Objects.requireNonNull(data, "data");
    if (expectedVersion < ABSENT) {
      throw new IllegalArgumentException("expected version must be >= -1, got " + expectedVersion);
    }
    Node current = nodes.get(path);
    if (expectedVersion == ABSENT) {
      if (current != null) {
        return new CasResult.Conflict(current.version);
      }
      createParents(path);
      put(path, new Node(data.clone(), 0), StateListener.Type.CREATED);
      return new CasResult.Ok(0);
    }
    if (current == null) {
      return new CasResult.NotFound();
    }
    if (current.version != expectedVersion) {
      return new CasResult.Conflict(current.version);
    }
    put(path, new Node(data.clone(), current.version + 1), StateListener.Type.UPDATED);
    return new CasResult.Ok(current.version + 1);
  }

  @Override
  public synchronized CasResult delete(String path, int expectedVersion) {
    StateStore.checkPath(path);
    StateStore.checkVersion(expectedVersion);
    Node current = nodes.get(path);
    if (current == null) {
      return new CasResult.NotFound();
    }
    if (current.version != expectedVersion) {
      return new CasResult.Conflict(current.version);
    }
    if (hasChildren(path)) {
      throw new CoordinationException(
          "cannot delete " + path + ": it has children (use deleteRecursively)");
    }
    remove(path);
    return new CasResult.Ok(ABSENT);
  }

  @Override
  public synchronized void deleteRecursively(String path) {
    StateStore.checkPath(path);
    List<String> doomed = new ArrayList<>();
    for (String p : nodes.tailMap(path, true).keySet()) {
      if (p.equals(path) || p.startsWith(path.equals("/") ? "/" : path + "/")) {
        doomed.add(p);
      } else {
        break;
      }
    }
    for (int i = doomed.size() - 1; i >= 0; i--) {
      remove(doomed.get(i));
    }
  }

  @Override
  public synchronized List<String> children(String path) {
    StateStore.checkPath(path);
    String prefix = path.equals("/") ? "/" : path + "/";
    List<String> names = new ArrayList<>();
    for (String p : nodes.tailMap(prefix, false).keySet()) {
      if (!p.startsWith(prefix)) {
        break;
      }
      String rest = p.substring(prefix.length());
      if (!rest.contains("/")) {
        names.add(rest);
      }
    }
    names.sort(null);
    return names;
  }

  @Override
  public synchronized TxResult transaction(List<Op> ops) {
    Objects.requireNonNull(ops, "ops");
    for (Op op : ops) {
      if (op instanceof Op.Create c) {
        String parent = parentOf(c.path());
        if (parent != null
            && ops.stream().noneMatch(o -> o instanceof Op.Create oc && oc.path().equals(parent))) {
          createParents(c.path());
        }
      }
    }
    // Validate against a simulated view first, so that nothing applies unless everything can.
    Map<String, Node> view = new TreeMap<>(nodes);
    List<Integer> versions = new ArrayList<>();
    for (int i = 0; i < ops.size(); i++) {
      Op op = ops.get(i);
      Node current = view.get(op.path());
      TxResult.Reason failure = null;
      if (op instanceof Op.Create c) {
        if (current != null) {
          failure = TxResult.Reason.EXISTS;
        } else if (parentOf(c.path()) != null && !view.containsKey(parentOf(c.path()))) {
          failure = TxResult.Reason.NOT_FOUND;
        } else {
          view.put(c.path(), new Node(c.data().clone(), 0));
          versions.add(0);
        }
      } else if (op instanceof Op.Set s) {
        failure =
            current == null
                ? TxResult.Reason.NOT_FOUND
                : current.version != s.expectedVersion() ? TxResult.Reason.VERSION_MISMATCH : null;
        if (failure == null) {
          view.put(s.path(), new Node(s.data().clone(), current.version + 1));
          versions.add(current.version + 1);
        }
      } else if (op instanceof Op.Delete d) {
        failure =
            current == null
                ? TxResult.Reason.NOT_FOUND
                : current.version != d.expectedVersion()
                    ? TxResult.Reason.VERSION_MISMATCH
                    : hasChildren(view, d.path()) ? TxResult.Reason.NOT_EMPTY : null;
        if (failure == null) {
          view.remove(d.path());
          versions.add(ABSENT);
        }
      } else {
        Op.Check c = (Op.Check) op;
        failure =
            current == null
                ? TxResult.Reason.NOT_FOUND
                : current.version != c.expectedVersion() ? TxResult.Reason.VERSION_MISMATCH : null;
        if (failure == null) {
          versions.add(c.expectedVersion());
        }
      }
      if (failure != null) {
        return new TxResult.Aborted(i, op, failure);
      }
    }
    for (Op op : ops) {
      if (op instanceof Op.Create c) {
        put(c.path(), new Node(c.data().clone(), 0), StateListener.Type.CREATED);
      } else if (op instanceof Op.Set s) {
        put(
            s.path(),
            new Node(s.data().clone(), nodes.get(s.path()).version + 1),
            StateListener.Type.UPDATED);
      } else if (op instanceof Op.Delete d) {
        remove(d.path());
      }
    }
    return new TxResult.Committed(versions);
  }

  @Override
  public synchronized StateWatch watch(String path, StateListener listener) {
    StateStore.checkPath(path);
    Objects.requireNonNull(listener, "listener");
    Registration reg = new Registration(path, listener);
    for (Map.Entry<String, Node> e : nodes.entrySet()) {
      if (reg.covers(e.getKey())) {
        deliver(
            reg,
            new StateListener.Change(
                StateListener.Type.CREATED,
                e.getKey(),
                e.getValue().data.clone(),
                e.getValue().version));
      }
    }
    watches.add(reg);
    return () -> watches.remove(reg);
  }

  private void createParents(String path) {
    String parent = parentOf(path);
    if (parent == null || nodes.containsKey(parent)) {
      return;
    }
    createParents(parent);
    put(parent, new Node(new byte[0], 0), StateListener.Type.CREATED);
  }

  private static String parentOf(String path) {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? null : path.substring(0, slash);
  }

  private boolean hasChildren(String path) {
    return hasChildren(nodes, path);
  }

  private static boolean hasChildren(Map<String, Node> view, String path) {
    String prefix = path + "/";
    return view.keySet().stream().anyMatch(p -> p.startsWith(prefix));
  }

  private void put(String path, Node node, StateListener.Type type) {
    nodes.put(path, node);
    notify(new StateListener.Change(type, path, node.data.clone(), node.version));
  }

  private void remove(String path) {
    Node old = nodes.remove(path);
    if (old != null) {
      notify(
          new StateListener.Change(
              StateListener.Type.DELETED, path, old.data.clone(), old.version));
    }
  }

  private void notify(StateListener.Change change) {
    for (Registration reg : watches) {
      if (reg.covers(change.path())) {
        deliver(reg, change);
      }
    }
  }

  private static void deliver(Registration reg, StateListener.Change change) {
    try {
      reg.listener.changed(change);
    } catch (RuntimeException e) {
      log.warn("state listener failed on {} {}", change.type(), change.path(), e);
    }
  }
}
