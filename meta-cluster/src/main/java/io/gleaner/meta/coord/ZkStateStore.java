package io.gleaner.meta.coord;

import io.gleaner.meta.metrics.Metrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link StateStore} on ZooKeeper through Curator. Paths are relative to the client's namespace.
 *
 * <p>A write that Curator retries after a connection loss may find its own first attempt already
 * applied and report a {@link CasResult.Conflict}; ZooKeeper cannot tell that apart from another
 * writer (two writers may well write identical bytes), so it is reported as a conflict. Callers
 * that re-apply a change on conflict should make it idempotent, e.g. by recording a request id in
 * the value.
 */
public final class ZkStateStore implements StateStore {
  private static final Logger log = LoggerFactory.getLogger(ZkStateStore.class);
  private static final Duration WATCH_INIT_TIMEOUT = Duration.ofSeconds(30);

  private final CuratorFramework client;
  private final MeterRegistry registry;

  public ZkStateStore(CuratorFramework client) {
    this(client, new SimpleMeterRegistry());
  }

  /** A store recording {@code gleaner.state.operations} timers into {@code registry}. */
  public ZkStateStore(CuratorFramework client, MeterRegistry registry) {
    this.client = Objects.requireNonNull(client, "client");
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  @Override
  public Optional<Versioned<byte[]>> get(String path) {
    StateStore.checkPath(path);
    long start = System.nanoTime();
    Stat stat = new Stat();
    try {
      byte[] data = client.getData().storingStatIn(stat).forPath(path);
      record("get", "ok", start);
      return Optional.of(new Versioned<>(data == null ? new byte[0] : data, stat.getVersion()));
    } catch (KeeperException.NoNodeException e) {
      record("get", "not_found", start);
      return Optional.empty();
    } catch (Exception e) {
      throw failure("read", path, e);
    }
  }

  @Override
  public CasResult compareAndSet(String path, int expectedVersion, byte[] data) {
    StateStore.checkPath(path);
    Objects.requireNonNull(data, "data");
    if (expectedVersion < ABSENT) {
      throw new IllegalArgumentException("expected version must be >= -1, got " + expectedVersion);
    }
    long start = System.nanoTime();
    CasResult result =
        expectedVersion == ABSENT ? create(path, data) : set(path, expectedVersion, data);
    record("cas", result.outcome(), start);
    return result;
  }

  private CasResult create(String path, byte[] data) {
    try {
      client.create().creatingParentsIfNeeded().forPath(path, data);
      return new CasResult.Ok(0);
    } catch (KeeperException.NodeExistsException e) {
      Optional<Versioned<byte[]>> current = get(path);
      if (current.isEmpty()) {
        return create(path, data); // deleted in between: try again
      }
      return new CasResult.Conflict(current.get().version());
    } catch (Exception e) {
      throw failure("create", path, e);
    }
  }

  private CasResult set(String path, int expectedVersion, byte[] data) {
    try {
      Stat stat = client.setData().withVersion(expectedVersion).forPath(path, data);
      return new CasResult.Ok(stat.getVersion());
    } catch (KeeperException.BadVersionException e) {
      Optional<Versioned<byte[]>> current = get(path);
      if (current.isEmpty()) {
        return new CasResult.NotFound();
      }
      return new CasResult.Conflict(current.get().version());
    } catch (KeeperException.NoNodeException e) {
      return new CasResult.NotFound();
    } catch (Exception e) {
      throw failure("write", path, e);
    }
  }

  @Override
  public CasResult delete(String path, int expectedVersion) {
    StateStore.checkPath(path);
    StateStore.checkVersion(expectedVersion);
    long start = System.nanoTime();
    CasResult result;
    try {
      client.delete().withVersion(expectedVersion).forPath(path);
      result = new CasResult.Ok(ABSENT);
    } catch (KeeperException.BadVersionException e) {
      result =
          get(path)
              .<CasResult>map(v -> new CasResult.Conflict(v.version()))
              .orElseGet(CasResult.NotFound::new);
    } catch (KeeperException.NoNodeException e) {
      result = new CasResult.NotFound();
    } catch (KeeperException.NotEmptyException e) {
      throw new CoordinationException(
          "cannot delete " + path + ": it has children (use deleteRecursively)", e);
    } catch (Exception e) {
      throw failure("delete", path, e);
    }
    record("delete", result.outcome(), start);
    return result;
  }

  @Override
  public void deleteRecursively(String path) {
    StateStore.checkPath(path);
    try {
      client.delete().quietly().deletingChildrenIfNeeded().forPath(path);
    } catch (KeeperException.NoNodeException e) {
      // already gone
    } catch (Exception e) {
      throw failure("delete", path, e);
    }
  }

  @Override
  public List<String> children(String path) {
    StateStore.checkPath(path);
    try {
      List<String> names = new ArrayList<>(client.getChildren().forPath(path));
      names.sort(null);
      return names;
    } catch (KeeperException.NoNodeException e) {
      return List.of();
    } catch (Exception e) {
      throw failure("list children of", path, e);
    }
  }

  @Override
  public TxResult transaction(List<Op> ops) {
    Objects.requireNonNull(ops, "ops");
    if (ops.isEmpty()) {
      return new TxResult.Committed(List.of());
    }
    long start = System.nanoTime();
    ensureParents(ops);
    List<CuratorOp> curatorOps = new ArrayList<>(ops.size());
    try {
      for (Op op : ops) {
        curatorOps.add(toCuratorOp(op));
      }
    } catch (Exception e) {
      throw failure("prepare transaction on", ops.get(0).path(), e);
    }
    TxResult result;
    try {
      List<CuratorTransactionResult> results = client.transaction().forOperations(curatorOps);
      List<Integer> versions = new ArrayList<>(ops.size());
      for (int i = 0; i < ops.size(); i++) {
        Op op = ops.get(i);
        Stat stat = results.get(i).getResultStat();
        if (op instanceof Op.Create) {
          versions.add(0);
        } else if (op instanceof Op.Set set) {
          versions.add(stat != null ? stat.getVersion() : set.expectedVersion() + 1);
        } else if (op instanceof Op.Delete) {
          versions.add(ABSENT);
        } else {
          versions.add(((Op.Check) op).expectedVersion());
        }
      }
      result = new TxResult.Committed(versions);
    } catch (KeeperException e) {
      result = aborted(ops, e);
    } catch (Exception e) {
      throw failure("commit transaction on", ops.get(0).path(), e);
    }
    record("transaction", result.outcome(), start);
    return result;
  }

  private CuratorOp toCuratorOp(Op op) throws Exception {
    if (op instanceof Op.Create c) {
      return client.transactionOp().create().forPath(c.path(), c.data());
    }
    if (op instanceof Op.Set s) {
      return client
          .transactionOp()
          .setData()
          .withVersion(s.expectedVersion())
          .forPath(s.path(), s.data());
    }
    if (op instanceof Op.Delete d) {
      return client.transactionOp().delete().withVersion(d.expectedVersion()).forPath(d.path());
    }
    Op.Check c = (Op.Check) op;
    return client.transactionOp().check().withVersion(c.expectedVersion()).forPath(c.path());
  }

  private void ensureParents(List<Op> ops) {
    Set<String> created = new LinkedHashSet<>();
    for (Op op : ops) {
      if (op instanceof Op.Create c) {
        created.add(c.path());
      }
    }
    for (String path : created) {
      String parent = ZKPaths.getPathAndNode(path).getPath();
      if (parent.equals("/") || created.contains(parent)) {
        continue;
      }
      try {
        if (client.checkExists().forPath(parent) == null) {
          client.create().creatingParentsIfNeeded().forPath(parent, new byte[0]);
        }
      } catch (KeeperException.NodeExistsException e) {
        // created concurrently: fine
      } catch (Exception e) {
        throw failure("create parent", parent, e);
      }
    }
  }

  private static TxResult aborted(List<Op> ops, KeeperException e) {
    List<OpResult> results = e.getResults();
    if (results != null) {
      for (int i = 0; i < results.size() && i < ops.size(); i++) {
        if (results.get(i) instanceof OpResult.ErrorResult err) {
          int code = err.getErr();
          if (code != KeeperException.Code.OK.intValue()
              && code != KeeperException.Code.RUNTIMEINCONSISTENCY.intValue()) {
            return new TxResult.Aborted(i, ops.get(i), reason(KeeperException.Code.get(code), e));
          }
        }
      }
    }
    return new TxResult.Aborted(0, ops.get(0), reason(e.code(), e));
  }

  private static TxResult.Reason reason(KeeperException.Code code, KeeperException e) {
    return switch (code) {
      case NODEEXISTS -> TxResult.Reason.EXISTS;
      case BADVERSION -> TxResult.Reason.VERSION_MISMATCH;
      case NONODE -> TxResult.Reason.NOT_FOUND;
      case NOTEMPTY -> TxResult.Reason.NOT_EMPTY;
      default -> throw new CoordinationException("transaction failed: " + e.getMessage(), e);
    };
  }

  @Override
  public StateWatch watch(String path, StateListener listener) {
    StateStore.checkPath(path);
    Objects.requireNonNull(listener, "listener");
    CuratorCache cache = CuratorCache.build(client, path);
    CountDownLatch initialized = new CountDownLatch(1);
    cache
        .listenable()
        .addListener(
            CuratorCacheListener.builder()
                .forCreates(node -> deliver(listener, StateListener.Type.CREATED, node))
                .forChanges((before, after) -> deliver(listener, StateListener.Type.UPDATED, after))
                .forDeletes(node -> deliver(listener, StateListener.Type.DELETED, node))
                .forInitialized(initialized::countDown)
                .build());
    cache.start();
    try {
      if (!initialized.await(WATCH_INIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        cache.close();
        throw new CoordinationException(
            "watch on " + path + " did not load within " + WATCH_INIT_TIMEOUT.toSeconds() + "s");
      }
    } catch (InterruptedException e) {
      cache.close();
      Thread.currentThread().interrupt();
      throw new CoordinationException("interrupted while starting watch on " + path, e);
    }
    return cache::close;
  }

  private static void deliver(StateListener listener, StateListener.Type type, ChildData node) {
    try {
      listener.changed(
          new StateListener.Change(
              type,
              node.getPath(),
              node.getData() == null ? new byte[0] : node.getData(),
              node.getStat() == null ? 0 : node.getStat().getVersion()));
    } catch (RuntimeException e) {
      log.warn("state listener failed on {} {}", type, node.getPath(), e);
    }
  }

  private void record(String operation, String outcome, long startNanos) {
    Timer.builder(Metrics.STATE_OPERATIONS)
        .tag(Metrics.TAG_OPERATION, operation)
        .tag(Metrics.TAG_OUTCOME, outcome)
        .register(registry)
        .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }

  private RuntimeException failure(String what, String path, Exception e) {
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    record(what.split(" ")[0], "error", System.nanoTime());
    return new CoordinationException(
        "could not "
            + what
            + " "
            + path
            + " in ZooKeeper ("
            + client.getZookeeperClient().getCurrentConnectionString()
            + "): "
            + e,
        e);
  }
}
