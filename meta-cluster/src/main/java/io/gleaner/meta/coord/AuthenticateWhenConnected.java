package io.gleaner.meta.coord;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.utils.ZookeeperFactory;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;

/**
 * Makes ZooKeeper handles that add their credentials once their first session is established, not
 * before it as Curator's {@code authorization} does.
 *
 * <p>Credentials added before the session exists go out right behind the ConnectRequest on
 * ZooKeeper's TLS (Netty) client, which writes everything it has queued without waiting for the
 * ConnectResponse (its plaintext client waits). ZooKeeper's Netty server answers the ConnectRequest
 * of a new session from another thread and may answer the requests of the same read first; the
 * client then reads an auth answer as the ConnectResponse, logs an {@code EOFException} and
 * connects again. Added from the watcher, before Curator is told of the connection, the credentials
 * reach the server after the ConnectResponse and before any request of Curator's. The handle keeps
 * them and sends them itself, behind the ConnectRequest, when it reconnects its session: a
 * standalone server answers a reopened session from the reading thread, in order; an ensemble's
 * follower asks its leader first, so there a reconnection under load may still meet the race (the
 * client then connects once more).
 */
final class AuthenticateWhenConnected implements ZookeeperFactory {
  private final String scheme;
  private final byte[] auth;

  AuthenticateWhenConnected(String scheme, byte[] auth) {
    this.scheme = Objects.requireNonNull(scheme, "scheme");
    this.auth = auth.clone();
  }

  @Override
  public ZooKeeper newZooKeeper(
      String connectString, int sessionTimeout, Watcher watcher, boolean canBeReadOnly)
      throws Exception {
    return newZooKeeper(connectString, sessionTimeout, watcher, canBeReadOnly, null);
  }

  @Override
  public ZooKeeper newZooKeeper(
      String connectString,
      int sessionTimeout,
      Watcher watcher,
      boolean canBeReadOnly,
      ZKClientConfig config)
      throws Exception {
    CompletableFuture<ZooKeeper> handle = new CompletableFuture<>();
    AtomicBoolean added = new AtomicBoolean();
    Watcher authenticating =
        event -> {
          if (event.getType() == Watcher.Event.EventType.None
              && event.getState() == Watcher.Event.KeeperState.SyncConnected
              && added.compareAndSet(false, true)) {
            // the constructor has returned: events come once its connection is up
            handle.join().addAuthInfo(scheme, auth.clone());
          }
          watcher.process(event);
        };
    ZooKeeper zk;
    try {
      zk =
          config == null
              ? new ZooKeeper(connectString, sessionTimeout, authenticating, canBeReadOnly)
              : new ZooKeeper(connectString, sessionTimeout, authenticating, canBeReadOnly, config);
    } catch (Exception | Error e) {
      handle.completeExceptionally(e);
      throw e;
    }
    handle.complete(zk);
    return zk;
  }
}
