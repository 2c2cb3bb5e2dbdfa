package io.gleaner.broker.ledger;

import io.gleaner.broker.model.NodeKey;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link LedgerStore} on ZooKeeper (Curator). Layout under {@code basePath}:
 *
 * <ul>
 *   <li>{@code nodes/<cluster>|<node>}: one {@code LedgerNodeRecord} (protobuf) per member node;
 *       every write is a {@code setData} with the expected znode version (or a {@code create} for a
 *       new node);
 *   <li>{@code pods/<uid>}: the pod index, created or deleted in the same multi-op transaction as
 *       the record.
 * </ul>
 *
 * Names are URL-encoded. A {@link CuratorCache} on {@code nodes} feeds {@link #loadAll()} and the
 * listeners, so a replica sees the other replicas' writes without polling.
 */
public final class ZkLedgerStore implements LedgerStore {
  private static final Logger log = LoggerFactory.getLogger(ZkLedgerStore.class);

  private final CuratorFramework client;
  private final String nodesPath;
  private final String podsPath;
  private final String freshPath;
  private final byte[] replicaId =
      java.util.UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8);
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final CuratorCache cache;

  /**
   * Creates the paths if needed and reads every record; blocks until the cache is primed (at most
   * 60 s).
   */
  public ZkLedgerStore(CuratorFramework client, String basePath) {
    this.client = client;
    this.nodesPath = basePath + "/nodes";
    this.podsPath = basePath + "/pods";
    this.freshPath = basePath + "/fresh";
    try {
      for (String p : List.of(nodesPath, podsPath, freshPath)) {
        if (client.checkExists().forPath(p) == null) {
          try {
            client.create().creatingParentsIfNeeded().forPath(p);
          } catch (KeeperException.NodeExistsException e) {
            // created concurrently by another replica
          }
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot create ledger paths under " + basePath + ": " + e.getMessage(), e);
    }
    CountDownLatch primed = new CountDownLatch(1);
    cache = CuratorCache.build(client, nodesPath);
    cache
        .listenable()
        .addListener(
            CuratorCacheListener.builder()
                .forAll(
                    (type, oldData, data) -> {
                      ChildData d = data != null ? data : oldData;
                      if (d == null || d.getPath().equals(nodesPath)) {
                        return;
                      }
                      NodeKey key = decodeKey(d.getPath().substring(nodesPath.length() + 1));
                      Versioned v = data == null ? null : versioned(data);
                      listeners.forEach(l -> l.changed(key, v));
                    })
                .forInitialized(primed::countDown)
                .build());
    cache.start();
    try {
      if (!primed.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("ledger cache at " + nodesPath + " not primed within 60 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the ledger", e);
    }
  }

  @Override
  public Map<NodeKey, Versioned> loadAll() {
    Map<NodeKey, Versioned> out = new TreeMap<>();
    cache.stream()
        .forEach(
            d -> {
              if (!d.getPath().equals(nodesPath)) {
                out.put(decodeKey(d.getPath().substring(nodesPath.length() + 1)), versioned(d));
              }
            });
    return out;
  }

  @Override
  public Optional<Versioned> load(NodeKey key) {
    String path = nodePath(key);
    try {
      Stat stat = new Stat();
      byte[] data = client.getData().storingStatIn(stat).forPath(path);
      return Optional.of(new Versioned(NodeRecord.fromBytes(data, path), stat.getVersion()));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot read ledger record " + path + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Optional<NodeKey> podNode(String podUid) {
    try {
      byte[] data = client.getData().forPath(podsPath + "/" + encode(podUid));
      return Optional.of(decodeKey(new String(data, StandardCharsets.UTF_8)));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot read pod index for " + podUid + ": " + e.getMessage(), e);
    }
  }

  @Override
  public WriteResult write(NodeKey key, NodeRecord record, int expectedVersion, PodOp podOp) {
    String path = nodePath(key);
    byte[] data = record.toBytes();
    try {
      List<CuratorOp> ops = new ArrayList<>(2);
      ops.add(
          expectedVersion < 0
              ? client.transactionOp().create().forPath(path, data)
              : client.transactionOp().setData().withVersion(expectedVersion).forPath(path, data));
      if (podOp != null) {
        String podPath = podsPath + "/" + encode(podOp.podUid());
        ops.add(
            podOp.add()
                ? client
                    .transactionOp()
                    .create()
                    .forPath(podPath, encodeKey(key).getBytes(StandardCharsets.UTF_8))
                : client.transactionOp().delete().forPath(podPath));
      }
      List<CuratorTransactionResult> results = client.transaction().forOperations(ops);
      Stat stat = results.get(0).getResultStat();
      return new WriteResult.Written(expectedVersion < 0 || stat == null ? 0 : stat.getVersion());
    } catch (KeeperException e) {
      int failed = failedOp(e);
      if (failed == 1 && podOp != null) {
        if (podOp.add()) {
          return podNode(podOp.podUid())
              .<WriteResult>map(WriteResult.PodTaken::new)
              .orElse(new WriteResult.Conflict());
        }
        log.warn(
            "pod index entry of {} was already gone; writing node {} without it",
            podOp.podUid(),
            key);
        return write(key, record, expectedVersion, null);
      }
      return new WriteResult.Conflict();
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot write ledger record " + path + ": " + e.getMessage(), e);
    }
  }

  /** Which op of a failed multi failed (0 = record, 1 = pod index). */
  private static int failedOp(KeeperException e) {
    List<OpResult> results = e.getResults();
    if (results != null) {
      for (int i = 0; i < results.size(); i++) {
        if (results.get(i) instanceof OpResult.ErrorResult err
            && err.getErr() != 0
            && err.getErr() != KeeperException.Code.RUNTIMEINCONSISTENCY.intValue()) {
          return i;
        }
      }
    }
    return 0;
  }

  @Override
  public void markFresh(String cluster) {
    String path = freshPath + "/" + encode(cluster);
    try {
      client
          .setData()
          .inBackground(
              (c, event) -> {
                if (event.getResultCode() == KeeperException.Code.NONODE.intValue()) {
                  c.create().inBackground().forPath(path, replicaId);
                } else if (event.getResultCode() != KeeperException.Code.OK.intValue()) {
                  log.debug("marking {} fresh failed: {}", cluster, event.getResultCode());
                }
              })
          .forPath(path, replicaId);
    } catch (Exception e) {
      log.debug("marking {} fresh failed: {}", cluster, e.toString());
    }
  }

  @Override
  public OptionalLong freshness(String cluster) {
    try {
      Stat stat = new Stat();
      byte[] writer =
          client.getData().storingStatIn(stat).forPath(freshPath + "/" + encode(cluster));
      return java.util.Arrays.equals(writer, replicaId)
          ? OptionalLong.empty()
          : OptionalLong.of(stat.getMzxid());
    } catch (KeeperException.NoNodeException e) {
      return OptionalLong.empty();
    } catch (Exception e) {
      log.debug("reading the freshness of {} failed: {}", cluster, e.toString());
      return OptionalLong.empty();
    }
  }

  @Override
  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  @Override
  public void close() {
    cache.close();
  }

  private Versioned versioned(ChildData d) {
    return new Versioned(NodeRecord.fromBytes(d.getData(), d.getPath()), d.getStat().getVersion());
  }

  private String nodePath(NodeKey key) {
    return nodesPath + "/" + encodeKey(key);
  }

  static String encodeKey(NodeKey key) {
    return encode(key.cluster()) + "|" + encode(key.node());
  }

  static NodeKey decodeKey(String name) {
    int bar = name.indexOf('|');
    if (bar < 0) {
      throw new IllegalStateException("ledger znode name \"" + name + "\" is not <cluster>|<node>");
    }
    return new NodeKey(
        URLDecoder.decode(name.substring(0, bar), StandardCharsets.UTF_8),
        URLDecoder.decode(name.substring(bar + 1), StandardCharsets.UTF_8));
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
