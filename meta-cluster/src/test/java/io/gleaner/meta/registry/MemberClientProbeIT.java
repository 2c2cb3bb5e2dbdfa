package io.gleaner.meta.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link MemberClient#probe()} against a local HTTP endpoint: what each answer does to the member's
 * health and breaker, and that probes in flight hold no thread each.
 */
class MemberClientProbeIT {
  private final TestClock clock = new TestClock(Instant.parse("2030-01-01T00:00:00Z"));
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final MemberHttpClients shared = new MemberHttpClients();

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
    shared.close();
  }

  @Test
  void anAnswerMakesTheMemberHealthyAndA4xxProvesItUp() {
    Endpoint ok = endpoint("200 OK");
    MemberClient client = client(ok.port());
    client.probe().join();
    assertThat(client.isHealthy()).isTrue();
    assertThat(calls("ok")).isEqualTo(1);

    Endpoint forbidden = endpoint("403 Forbidden");
    MemberClient refused = client(forbidden.port());
    assertThatThrownBy(() -> refused.probe().join()).isInstanceOf(CompletionException.class);
    assertThat(refused.isHealthy()).as("a member that answers 403 is up").isTrue();
    assertThat(refused.circuitBreaker().getMetrics().getNumberOfFailedCalls()).isZero();
    assertThat(calls("rejected")).isEqualTo(1);
  }

  @Test
  void failuresToAnswerCountTowardsTheBreakerWhichThenFailsProbesAtOnce() {
    Endpoint down = endpoint("503 Service Unavailable");
    MemberClient client = client(down.port());
    for (int i = 0; i < 4; i++) {
      assertThatThrownBy(() -> client.probe().join()).isInstanceOf(CompletionException.class);
    }
    assertThat(client.circuitBreaker().getState()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(client.health().lastError()).hasValueSatisfying(e -> assertThat(e).contains("503"));
    int answered = down.requests.get();
    assertThatThrownBy(() -> client.probe().join())
        .hasCauseInstanceOf(MemberUnavailableException.class);
    assertThat(down.requests.get()).as("an open breaker sends nothing").isEqualTo(answered);
    assertThat(client.isHealthy()).isFalse();

    client.close();
    assertThatThrownBy(() -> client.probe().join())
        .cause()
        .isInstanceOfSatisfying(
            MemberUnavailableException.class,
            e -> assertThat(e.reason()).isEqualTo(MemberUnavailableException.Reason.CLOSED));
  }

  @Test
  void aMemberThatClosesTheConnectionOrRefusesItIsNotAnsweringAndNeverHealthy() throws Exception {
    Endpoint closing = endpoint(Endpoint.CLOSE);
    MemberClient cut = client(closing.port());
    for (int i = 0; i < 4; i++) {
      assertThatThrownBy(() -> cut.probe().join())
          .cause()
          .isInstanceOfSatisfying(
              io.fabric8.kubernetes.client.KubernetesClientException.class,
              e -> assertThat(MemberErrors.isTransient(e)).as("%s is transient", e).isTrue());
    }
    assertThat(cut.isHealthy()).as("a connection closed unanswered proves nothing").isFalse();
    assertThat(cut.circuitBreaker().getState())
        .as(
            "%s failed %d",
            cut.health(), cut.circuitBreaker().getMetrics().getNumberOfFailedCalls())
        .isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(calls("rejected")).isZero();

    int refusedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      refusedPort = s.getLocalPort();
    }
    MemberClient refused = client(refusedPort);
    assertThatThrownBy(() -> refused.probe().join()).isInstanceOf(CompletionException.class);
    assertThat(refused.isHealthy()).isFalse();
    assertThat(refused.health().lastError()).isPresent();
    assertThat(calls("rejected")).isZero();
  }

  @Test
  void probesWaitingForAnswersHoldNoThreadEach() throws Exception {
    Endpoint ok = endpoint("200 OK");
    MemberClient warm = client(ok.port());
    warm.probe().join(); // the HTTP client's event loop and pools exist from here on
    Endpoint silent = endpoint(null);
    int probes = 40;
    List<MemberClient> clients = new ArrayList<>();
    for (int i = 0; i < probes; i++) {
      clients.add(client(silent.port()));
    }
    int before = Thread.activeCount();
    List<CompletableFuture<Void>> inFlight = new ArrayList<>();
    clients.forEach(c -> inFlight.add(c.probe()));
    await().atMost(Duration.ofSeconds(30)).until(() -> silent.requests.get() == probes);
    assertThat(inFlight).noneMatch(CompletableFuture::isDone);
    assertThat(Thread.getAllStackTraces().values())
        .as("threads waiting inside a probe (the old pool parked one per member here)")
        .noneMatch(
            stack ->
                java.util.Arrays.stream(stack)
                    .anyMatch(
                        f ->
                            f.getClassName().equals(MemberClient.class.getName())
                                || f.getClassName()
                                    .startsWith(MemberClient.class.getName() + "$")));
    // the shared event loops and task pool may grow a little with the load of the moment; a
    // thread per probe would add at least as many threads as probes (58 with the old pool)
    assertThat(Thread.activeCount() - before)
        .as("threads added while %d probes wait for their answers", probes)
        .isLessThan(probes / 2);
  }

  private double calls(String outcome) {
    var timer =
        meters.find(MemberClient.CALLS_METER).tag("operation", "probe").tag("outcome", outcome);
    return timer.timer() == null ? 0 : timer.timer().count();
  }

  private MemberClient client(int port) {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl("http://127.0.0.1:" + port)
            .withRequestRetryBackoffLimit(0)
            .withRequestTimeout(60_000)
            .build();
    // as the registry builds them: every member client on one Vert.x and task pool
    KubernetesClient kubernetes =
        shared.applyTo(new KubernetesClientBuilder().withConfig(config)).build();
    MemberResilience resilience =
        new MemberResilience(
            MemberClientConfig.defaults().withBreaker(4, 4, Duration.ofMinutes(1)), clock, meters);
    MemberClient client =
        new MemberClient(
            "m" + port + "-" + closing.size(),
            kubernetes,
            resilience.forCluster("m" + closing.size()),
            clock,
            Duration.ofSeconds(30),
            meters);
    closing.add(0, client);
    return client;
  }

  /** Answers every request with {@code status} and a version body, or, with null, never. */
  private Endpoint endpoint(String status) {
    try {
      Endpoint e = new Endpoint(status);
      closing.add(e);
      return e;
    } catch (IOException ex) {
      throw new IllegalStateException(ex);
    }
  }

  private static final class Endpoint implements AutoCloseable {
    /** A status that makes the endpoint close each connection unanswered, as a partition does. */
    static final String CLOSE = "close";

    final ServerSocket server;
    final AtomicInteger requests = new AtomicInteger();
    final List<Socket> open = new CopyOnWriteArrayList<>();
    final String status;

    Endpoint(String status) throws IOException {
      this.status = status;
      this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
      Thread accept = new Thread(this::serve, "probe-endpoint");
      accept.setDaemon(true);
      accept.start();
    }

    int port() {
      return server.getLocalPort();
    }

    private void serve() {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          open.add(s);
          readHead(s.getInputStream());
          requests.incrementAndGet();
          if (CLOSE.equals(status)) {
            s.close();
          } else if (status != null) {
            byte[] body = "{\"major\":\"1\",\"minor\":\"31\"}".getBytes(StandardCharsets.UTF_8);
            OutputStream out = s.getOutputStream();
            out.write(
                ("HTTP/1.1 "
                        + status
                        + "\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length
                        + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            s.close();
          }
        } catch (IOException e) {
          // closed
        }
      }
    }

    private static void readHead(InputStream in) throws IOException {
      int matched = 0;
      byte[] end = {'\r', '\n', '\r', '\n'};
      while (matched < 4) {
        int b = in.read();
        if (b < 0) {
          return;
        }
        matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (Socket s : open) {
        s.close();
      }
    }
  }
}
