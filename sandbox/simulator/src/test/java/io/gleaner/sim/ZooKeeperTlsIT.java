package io.gleaner.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import io.gleaner.meta.coord.CoordinationException;
import io.gleaner.meta.coord.Zk;
import io.gleaner.meta.coord.ZkCredentials;
import io.gleaner.sim.apiserver.auth.ClusterCa;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * The in-process ZooKeeper serving TLS, and Gleaner's client ({@code zk.tls.caFile}) using it: a
 * client that trusts the server's CA works; a plaintext client, and a client trusting another CA,
 * are refused at the secure port. Each client's settings are its own: all three share this JVM.
 */
class ZooKeeperTlsIT {
  private static final Duration SESSION = Duration.ofSeconds(10);
  private static final Duration REFUSED_WITHIN = Duration.ofSeconds(3);

  private static ZooKeeperEnsemble zk;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    zk = new ZooKeeperEnsemble(1, true);
  }

  @AfterAll
  static void stop() throws Exception {
    zk.close();
  }

  private static String secure() {
    return zk.secureConnectString().orElseThrow();
  }

  @Test
  void aClientTrustingTheCaReadsAndWritesOverTls() throws Exception {
    Path ca = zk.tls().orElseThrow().caFile();
    try (CuratorFramework c =
        Zk.connect(
            secure(),
            "gleaner",
            SESSION,
            Duration.ofSeconds(10),
            ZkCredentials.parse("gleaner:s3cret"),
            ca)) {
      c.create().creatingParentsIfNeeded().forPath("/tls/probe", new byte[] {7});
      assertThat(c.getData().forPath("/tls/probe")).containsExactly(7);
    }
    // a plaintext client of the same process, to the plaintext port, still works
    try (CuratorFramework plain =
        Zk.connect(
            zk.connectString(),
            "gleaner",
            SESSION,
            Duration.ofSeconds(10),
            ZkCredentials.parse("gleaner:s3cret"))) {
      assertThat(plain.getData().forPath("/tls/probe")).containsExactly(7);
    }
  }

  /**
   * ZooKeeper's TLS (Netty) client writes whatever it has queued right behind its ConnectRequest;
   * the server answers the ConnectRequest of a new session from another thread, once the session is
   * logged, and re-enables reading on the connection then: requests that came in the same read are
   * answered at once, ahead of that ConnectResponse. The client reads the first answer as the
   * ConnectResponse, fails (EOFException, logged with its stack) and connects again. A loaded
   * server (the sandbox's five services starting) meets this often; holding the server's connection
   * thread until the session is established makes it certain. Gleaner's client must send nothing
   * behind its ConnectRequest, so it connects at its first attempt.
   */
  @Test
  void aClientWithCredentialsConnectsAtItsFirstAttemptWhenTheServerAnswersLate() throws Exception {
    LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
    HoldNewSessions hold = new HoldNewSessions();
    hold.start();
    logging.addTurboFilter(hold);
    try (CuratorFramework c =
        Zk.connect(
            secure(),
            "gleaner",
            SESSION,
            Duration.ofSeconds(10),
            ZkCredentials.parse("gleaner:s3cret"),
            zk.tls().orElseThrow().caFile())) {
      c.create().orSetData().creatingParentsIfNeeded().forPath("/tls/late", new byte[] {1});
      assertThat(hold.held.get()).as("the server's connection thread was held").isTrue();
      assertThat(hold.connectRequests.get())
          .as("connect requests the server received")
          .isEqualTo(1);
    } finally {
      logging.getTurboFilterList().remove(hold);
    }
  }

  /**
   * Holds the server's connection thread after it submitted the first new session until the server
   * has re-enabled reading on that connection; counts connect requests. It reads ZooKeeper's own
   * (debug) log calls, which reach turbo filters at every level.
   */
  private static final class HoldNewSessions extends TurboFilter {
    final AtomicInteger connectRequests = new AtomicInteger();
    final AtomicBoolean held = new AtomicBoolean();
    private final CountDownLatch reading = new CountDownLatch(1);

    @Override
    public FilterReply decide(
        Marker marker,
        ch.qos.logback.classic.Logger logger,
        Level level,
        String format,
        Object[] params,
        Throwable t) {
      if (format == null || !logger.getName().startsWith("org.apache.zookeeper.server.")) {
        return FilterReply.NEUTRAL;
      }
      if (format.startsWith("Session establishment request from client")) {
        connectRequests.incrementAndGet();
      } else if (format.startsWith("Sending unthrottle event")) {
        reading.countDown();
      } else if (format.startsWith("Client attempting to establish new session")
          && held.compareAndSet(false, true)) {
        try {
          reading.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return FilterReply.NEUTRAL;
    }
  }

  @Test
  void theSecurePortClosesAPlaintextConnection() throws Exception {
    int plainPort = Integer.parseInt(zk.connectString().split(":")[1]);
    assertThat(ZooKeeperEnsemble.mode(plainPort)).isEqualTo("standalone");
    int securePort = Integer.parseInt(secure().split(":")[1]);
    assertThat(closedUnanswered(securePort, "srvr\r\n"))
        .as("the secure port answers no plaintext, it closes the connection")
        .isTrue();
    assertThatThrownBy(
            () -> Zk.connect(secure(), "gleaner", SESSION, REFUSED_WITHIN, null, null).close())
        .isInstanceOf(CoordinationException.class);
  }

  @Test
  void aClientTrustingAnotherCaIsRefused() throws Exception {
    Path otherCa =
        Files.writeString(dir.resolve("other-ca.crt"), ClusterCa.create("other").certificatePem());
    assertThatThrownBy(
            () -> Zk.connect(secure(), "gleaner", SESSION, REFUSED_WITHIN, null, otherCa).close())
        .isInstanceOf(CoordinationException.class)
        .hasMessageContaining(otherCa.toString());
  }

  /**
   * A Gleaner service reads its ZooKeeper CA file at every connection (ZooKeeper's Netty client
   * builds its SSL context per connection), so a CA rotation needs no restart of the services: with
   * a bundle of the old and the new CA in its file, a client connected under the old CA reconnects
   * to a server restarted with a certificate of the new CA.
   */
  @Test
  void aClientReadsItsCaFileAgainWhenItReconnects() throws Exception {
    ZooKeeperTls tls = zk.tls().orElseThrow();
    Path clientCa = Files.copy(tls.caFile(), dir.resolve("rotating-ca.crt"));
    String oldCa = Files.readString(clientCa);
    try (CuratorFramework c =
        Zk.connect(
            secure(),
            "gleaner",
            Duration.ofSeconds(60),
            Duration.ofSeconds(10),
            ZkCredentials.parse("gleaner:s3cret"),
            clientCa)) {
      c.create().creatingParentsIfNeeded().forPath("/tls/rotation", new byte[] {1});
      String newCa = tls.rotateCa();
      Files.writeString(clientCa, oldCa + newCa);
      int port = zk.ports().get(0);
      zk.kill(port);
      zk.restart(port);
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(() -> c.getData().forPath("/tls/rotation")[0] == 1);
      // the restarted server presents the new CA's certificate: a client trusting only the old is
      // refused
      Path onlyOld = Files.writeString(dir.resolve("only-old-ca.crt"), oldCa);
      assertThatThrownBy(
              () -> Zk.connect(secure(), "gleaner", SESSION, REFUSED_WITHIN, null, onlyOld).close())
          .isInstanceOf(CoordinationException.class);
    }
  }

  /**
   * Sends a four-letter word in plaintext and reads: whether the server closed the connection
   * without a byte of answer (a read timeout fails the test instead).
   */
  private static boolean closedUnanswered(int port, String word) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(word.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      try {
        return in.read() == -1;
      } catch (SocketTimeoutException timeout) {
        throw timeout;
      } catch (SocketException reset) {
        return true;
      }
    }
  }
}
