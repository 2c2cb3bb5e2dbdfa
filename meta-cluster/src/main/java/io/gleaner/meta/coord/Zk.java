package io.gleaner.meta.coord;

import io.gleaner.meta.config.ZkConfig;
import io.gleaner.meta.metrics.Metrics;
import io.gleaner.meta.service.Health;
import io.gleaner.meta.service.HealthCheck;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.StandardConnectionStateErrorPolicy;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.ACL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Connecting to ZooKeeper the way every Gleaner service does. */
public final class Zk {
  private static final Logger log = LoggerFactory.getLogger(Zk.class);

  /** How long {@link #connect(String, String, Duration)} waits for the first connection. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(15);

  private Zk() {}

  /** {@link #connect(String, String, Duration, Duration)} with the default connect timeout. */
  public static CuratorFramework connect(
      String connectString, String namespace, Duration sessionTimeout) {
    return connect(connectString, namespace, sessionTimeout, DEFAULT_CONNECT_TIMEOUT);
  }

  /** {@link #connect(String, String, Duration, Duration, ZkCredentials)} without authentication. */
  public static CuratorFramework connect(
      String connectString, String namespace, Duration sessionTimeout, Duration connectTimeout) {
    return connect(connectString, namespace, sessionTimeout, connectTimeout, null);
  }

  /**
   * {@link #connect(String, String, Duration, Duration, ZkCredentials)} as configured: with the
   * credentials of {@code zk.authFile} when it is set.
   */
  public static CuratorFramework connect(ZkConfig zk, Duration sessionTimeout) {
    return connect(
        zk.connect(),
        zk.namespace(),
        sessionTimeout,
        zk.connectionTimeout(),
        zk.authFile() == null ? null : ZkCredentials.read(Path.of(zk.authFile())),
        zk.tls().enabled() ? Path.of(zk.tls().caFile()) : null);
  }

  /** {@link #connect(String, String, Duration, Duration, ZkCredentials, Path)} in plaintext. */
  public static CuratorFramework connect(
      String connectString,
      String namespace,
      Duration sessionTimeout,
      Duration connectTimeout,
      ZkCredentials credentials) {
    return connect(connectString, namespace, sessionTimeout, connectTimeout, credentials, null);
  }

  /**
   * A started Curator client, connected, with all paths under {@code namespace}.
   *
   * <p>The session timeout is the leader lease: after losing contact, a replica's ephemeral nodes
   * (its leadership) vanish after this long. Connection losses are retried with exponential
   * backoff. SUSPENDED counts as an error state, so recipes stop acting on it (see {@link
   * ZkLeaderElection}).
   *
   * <p>With {@code credentials}, the client authenticates with the {@code digest} scheme and every
   * znode it creates (the namespace and its parents too) is readable and writable by that identity
   * only; without, znodes are open to anyone who reaches ZooKeeper. The credentials are sent once
   * the session is established ({@link AuthenticateWhenConnected}).
   *
   * <p>With {@code caFile}, the connection is TLS ({@link ZkTls}): ZooKeeper's secure client port
   * must be in the connect string, and its certificate must chain to {@code caFile} and name the
   * host connected to.
   *
   * @param credentials the installation's ZooKeeper identity, or null for none
   * @param caFile PEM CA bundle for TLS, or null for plaintext
   * @throws CoordinationException naming the connect string if no connection is made within {@code
   *     connectTimeout}; the client is closed then
   */
  public static CuratorFramework connect(
      String connectString,
      String namespace,
      Duration sessionTimeout,
      Duration connectTimeout,
      ZkCredentials credentials,
      Path caFile) {
    Objects.requireNonNull(connectString, "connectString");
    Objects.requireNonNull(namespace, "namespace");
    if (connectString.isBlank()) {
      throw new IllegalArgumentException("ZooKeeper connect string is empty");
    }
    int sessionMs = Math.toIntExact(sessionTimeout.toMillis());
    int connectMs = Math.toIntExact(Math.min(connectTimeout.toMillis(), sessionTimeout.toMillis()));
    CuratorFrameworkFactory.Builder builder =
        CuratorFrameworkFactory.builder()
            .connectString(connectString)
            .namespace(namespace.isEmpty() ? null : namespace)
            .sessionTimeoutMs(sessionMs)
            .connectionTimeoutMs(connectMs)
            .retryPolicy(new ExponentialBackoffRetry(200, 5, 3000))
            .connectionStateErrorPolicy(new StandardConnectionStateErrorPolicy())
            .zkClientConfig(ZkTls.clientConfig(caFile));
    if (credentials != null) {
      // not authorization(): its credentials would ride behind the ConnectRequest (see there)
      builder
          .zookeeperFactory(new AuthenticateWhenConnected("digest", credentials.authBytes()))
          .aclProvider(credentials.aclProvider());
    }
    CuratorFramework client = builder.build();
    client.start();
    boolean connected;
    try {
      connected =
          client.blockUntilConnected(
              Math.toIntExact(connectTimeout.toMillis()), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      client.close();
      Thread.currentThread().interrupt();
      throw new CoordinationException(
          "interrupted while connecting to ZooKeeper at \"" + connectString + "\"", e);
    }
    if (!connected) {
      client.close();
      throw new CoordinationException(
          "could not connect to ZooKeeper at \""
              + connectString
              + "\" within "
              + connectTimeout.toMillis()
              + "ms (is --zk-connect right and the ensemble up?"
              + (caFile == null
                  ? ")"
                  : " Is it ZooKeeper's secure client port, with a certificate of the CA in "
                      + caFile
                      + " naming that host?)"));
    }
    if (credentials != null && !namespace.isEmpty()) {
      try {
        int closed = closeOpenZnodes(client, credentials.acl());
        if (closed > 0) {
          log.warn(
              "closed {} znodes under /{} that were open (written without ZooKeeper"
                  + " authentication) to {} only",
              closed,
              namespace,
              credentials);
        }
      } catch (Exception e) {
        client.close();
        throw new CoordinationException(
            "cannot give the znodes under /"
                + namespace
                + " the ACL of "
                + credentials
                + " (do they belong to another identity?): "
                + e,
            e);
      }
    }
    log.info(
        "connected to ZooKeeper at {} ({}, namespace /{}, session timeout {}ms, {})",
        connectString,
        caFile == null ? "plaintext" : "TLS, server verified against " + caFile,
        namespace,
        sessionMs,
        credentials == null
            ? "NO authentication: znodes are open to anyone who reaches ZooKeeper"
            : "authenticated as " + credentials + ", znodes for that identity only");
    return client;
  }

  /**
   * Gives {@code acl} to every znode of the client's namespace that lacks it, its root last, when
   * the root lacks it: znodes written before authentication was turned on are open to anyone, and
   * ZooKeeper checks each znode's own ACL, not its parents'. Once the root has it, every znode
   * beneath does (only this identity can create there), so a later start costs one read.
   *
   * @return how many znodes changed
   */
  static int closeOpenZnodes(CuratorFramework client, List<ACL> acl) throws Exception {
    try {
      if (client.getACL().forPath("/").equals(acl)) {
        return 0;
      }
    } catch (KeeperException.NoNodeException e) {
      return 0;
    }
    return close(client, "/", acl);
  }

  /** Children before their parent, so that a pass cut short is redone at the next start. */
  private static int close(CuratorFramework client, String path, List<ACL> acl) throws Exception {
    int changed = 0;
    try {
      for (String child : client.getChildren().forPath(path)) {
        changed += close(client, ZKPaths.makePath(path, child), acl);
      }
      if (!client.getACL().forPath(path).equals(acl)) {
        client.setACL().withACL(acl).forPath(path);
        changed++;
      }
    } catch (KeeperException.NoNodeException e) {
      // deleted meanwhile
    }
    return changed;
  }

  /** Readiness: UP while the client is connected. Cheap; reads client state only. */
  public static HealthCheck connectedCheck(CuratorFramework client) {
    return HealthCheck.of(
        "zookeeper",
        () ->
            client.getZookeeperClient().isConnected()
                ? Health.up(
                    "connected to " + client.getZookeeperClient().getCurrentConnectionString())
                : Health.down(
                    "not connected to "
                        + client.getZookeeperClient().getCurrentConnectionString()));
  }

  /** Counts connection state changes as {@code gleaner.zk.connection.states{outcome=<state>}}. */
  public static void instrument(CuratorFramework client, MeterRegistry registry) {
    client
        .getConnectionStateListenable()
        .addListener(
            (c, state) ->
                registry
                    .counter(
                        Metrics.ZK_CONNECTION_STATES,
                        Metrics.TAG_OUTCOME,
                        state.name().toLowerCase(Locale.ROOT))
                    .increment());
  }
}
