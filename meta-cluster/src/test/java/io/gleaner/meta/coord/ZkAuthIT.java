package io.gleaner.meta.coord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gleaner.meta.config.GleanerConfig;
import io.gleaner.meta.service.ServiceRunner;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ZooKeeper digest authentication ({@code zk.authFile}): Gleaner's services, all authenticated as
 * the installation's one identity, share their znodes; a client without the credentials, or with
 * wrong ones, reads and writes none of them.
 */
class ZkAuthIT {
  private static TestZk zk;

  @TempDir Path dir;

  @BeforeAll
  static void startServer() throws Exception {
    zk = new TestZk();
  }

  @AfterAll
  static void stopServer() throws Exception {
    zk.close();
  }

  private GleanerConfig config(String namespace, String credentials) throws Exception {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("zk.connect", "'" + zk.connectString() + "'");
    o.put("zk.namespace", "'" + namespace + "'");
    o.put("leaderElection.leaseDuration", "5s");
    if (credentials != null) {
      Path file = Files.writeString(dir.resolve(namespace.replace('/', '_')), credentials);
      o.put("zk.authFile", "'" + file + "'");
    }
    return GleanerConfig.load(null, o);
  }

  /** A client of no namespace; authenticated when {@code credentials} is set. */
  private static CuratorFramework raw(String credentials) throws InterruptedException {
    CuratorFrameworkFactory.Builder b =
        CuratorFrameworkFactory.builder()
            .connectString(zk.connectString())
            .retryPolicy(new RetryOneTime(100));
    if (credentials != null) {
      b.authorization("digest", credentials.getBytes(StandardCharsets.UTF_8));
    }
    CuratorFramework c = b.build();
    c.start();
    assertThat(c.blockUntilConnected(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    return c;
  }

  @Test
  void withoutTheCredentialsNothingOfGleanersCanBeReadOrWritten() throws Exception {
    // two services of one installation, the same identity; the namespace's parent is created too
    Coordination broker =
        new Coordination(
            config("secured/gleaner", "gleaner:s3cret\n"),
            "broker",
            "b-1",
            new SimpleMeterRegistry());
    Coordination detector =
        new Coordination(
            config("secured/gleaner", "gleaner:s3cret"),
            "idle-detector",
            "d-1",
            new SimpleMeterRegistry());
    ServiceRunner runner = new ServiceRunner("it").add(broker).add(detector);
    runner.start();
    try (CuratorFramework anonymous = raw(null);
        CuratorFramework wrong = raw("gleaner:guess")) {
      assertThat(
              broker
                  .stateStore()
                  .compareAndSet("/ledger", StateStore.ABSENT, new byte[] {1})
                  .isOk())
          .isTrue();
      assertThat(broker.election().awaitLeadership(Duration.ofSeconds(10))).isTrue();
      // the other service, authenticated as the same identity, reads and rewrites it
      var seen = detector.stateStore().get("/ledger").orElseThrow();
      assertThat(seen.data()).containsExactly(1);
      assertThat(
              detector.stateStore().compareAndSet("/ledger", seen.version(), new byte[] {2}).isOk())
          .isTrue();

      for (CuratorFramework intruder : new CuratorFramework[] {anonymous, wrong}) {
        for (String path :
            new String[] {"/secured", "/secured/gleaner", "/secured/gleaner/ledger"}) {
          assertThatThrownBy(() -> intruder.getData().forPath(path))
              .as(path)
              .isInstanceOf(KeeperException.NoAuthException.class);
          assertThatThrownBy(() -> intruder.getChildren().forPath(path))
              .as(path)
              .isInstanceOf(KeeperException.NoAuthException.class);
          assertThatThrownBy(() -> intruder.setData().forPath(path, new byte[] {9}))
              .as(path)
              .isInstanceOf(KeeperException.NoAuthException.class);
          assertThatThrownBy(() -> intruder.create().forPath(path + "/evil"))
              .as(path)
              .isInstanceOf(KeeperException.NoAuthException.class);
          assertThatThrownBy(
                  () ->
                      intruder
                          .setACL()
                          .withACL(org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE)
                          .forPath(path))
              .as(path)
              .isInstanceOf(KeeperException.NoAuthException.class);
        }
        assertThatThrownBy(() -> intruder.delete().forPath("/secured/gleaner/ledger"))
            .isInstanceOf(KeeperException.NoAuthException.class);
      }
      // the election's nodes are as closed as the state
      String electionRoot = "/secured/gleaner/" + electionPath(broker);
      assertThatThrownBy(() -> anonymous.getChildren().forPath(electionRoot))
          .isInstanceOf(KeeperException.NoAuthException.class);
      assertThat(detector.stateStore().get("/ledger").orElseThrow().data()).containsExactly(2);

      // with the credentials, a plain client has every right: that is the one identity
      try (CuratorFramework admin = raw("gleaner:s3cret")) {
        assertThat(admin.getData().forPath("/secured/gleaner/ledger")).containsExactly(2);
      }
    } finally {
      runner.stop();
    }
  }

  @Test
  void withoutAnAuthFileZnodesStayOpenAsBefore() throws Exception {
    Coordination open =
        new Coordination(config("open", null), "broker", "b-1", new SimpleMeterRegistry());
    ServiceRunner runner = new ServiceRunner("it").add(open);
    runner.start();
    try (CuratorFramework anonymous = raw(null)) {
      assertThat(open.stateStore().compareAndSet("/x", StateStore.ABSENT, new byte[] {1}).isOk())
          .isTrue();
      assertThat(anonymous.getData().forPath("/open/x")).containsExactly(1);
    } finally {
      runner.stop();
    }
  }

  @Test
  void znodesWrittenBeforeAuthenticationWasTurnedOnAreClosedAtTheFirstAuthenticatedStart()
      throws Exception {
    Coordination before =
        new Coordination(config("upgraded", null), "broker", "b-1", new SimpleMeterRegistry());
    ServiceRunner open = new ServiceRunner("before").add(before);
    open.start();
    try {
      assertThat(
              before
                  .stateStore()
                  .compareAndSet("/ledger/m1/n1", StateStore.ABSENT, new byte[] {1})
                  .isOk())
          .isTrue();
    } finally {
      open.stop();
    }
    Coordination after =
        new Coordination(
            config("upgraded", "gleaner:s3cret"), "broker", "b-1", new SimpleMeterRegistry());
    ServiceRunner secured = new ServiceRunner("after").add(after);
    secured.start();
    try (CuratorFramework anonymous = raw(null)) {
      assertThat(after.stateStore().get("/ledger/m1/n1").orElseThrow().data()).containsExactly(1);
      for (String path :
          new String[] {
            "/upgraded", "/upgraded/ledger", "/upgraded/ledger/m1", "/upgraded/ledger/m1/n1"
          }) {
        assertThatThrownBy(() -> anonymous.getData().forPath(path))
            .as(path)
            .isInstanceOf(KeeperException.NoAuthException.class);
        assertThatThrownBy(() -> anonymous.setData().forPath(path, new byte[] {9}))
            .as(path)
            .isInstanceOf(KeeperException.NoAuthException.class);
      }
      // the next start finds the root closed and changes nothing
      assertThat(Zk.closeOpenZnodes(after.client(), ZkCredentials.parse("gleaner:s3cret").acl()))
          .isZero();
    } finally {
      secured.stop();
    }
  }

  private static String electionPath(Coordination c) throws Exception {
    for (String child : c.client().getChildren().forPath("/")) {
      if (!child.equals("ledger")) {
        return child;
      }
    }
    throw new AssertionError("no election node");
  }
}
