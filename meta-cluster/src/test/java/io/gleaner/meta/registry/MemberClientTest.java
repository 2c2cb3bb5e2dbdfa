package io.gleaner.meta.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MemberClientTest {
  private final TestClock clock = new TestClock(Instant.parse("2030-01-01T00:00:00Z"));
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final MemberClientConfig config =
      MemberClientConfig.defaults()
          .withRetry(3, Duration.ofMillis(1))
          .withBreaker(4, 4, Duration.ofMinutes(1))
          .withRateLimit(1000, Duration.ofMillis(100));
  private MemberResilience resilience;
  private KubernetesClient kubernetes;
  private MemberClient client;

  @BeforeEach
  void setUp() {
    resilience = new MemberResilience(config, clock, meters);
    Config c = new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:1").build();
    kubernetes = new KubernetesClientBuilder().withConfig(c).build();
    client =
        new MemberClient(
            "east",
            kubernetes,
            resilience.forCluster("east"),
            clock,
            Duration.ofSeconds(30),
            meters);
  }

  @AfterEach
  void tearDown() {
    client.close();
  }

  @Test
  void transientFailuresAreRetriedThenRethrownAndOpenTheBreaker() {
    AtomicInteger attempts = new AtomicInteger();
    KubernetesClientException unavailable =
        new KubernetesClientException("service unavailable", 503, null);

    assertThatThrownBy(
            () ->
                client.call(
                    "list-nodes",
                    () -> {
                      attempts.incrementAndGet();
                      throw unavailable;
                    }))
        .isSameAs(unavailable);
    assertThat(attempts).hasValue(3);
    assertThat(client.health().lastCallFailed()).isTrue();
    assertThat(client.health().lastError())
        .get()
        .asString()
        .startsWith("list-nodes: KubernetesClientException");

    // A fourth failing attempt fills the window of 4 calls: 100% failures open the breaker, and
    // the retry that follows is refused by it.
    assertThatThrownBy(
            () ->
                client.call(
                    "list-nodes",
                    () -> {
                      attempts.incrementAndGet();
                      throw new KubernetesClientException("io", new ConnectException("refused"));
                    }))
        .isInstanceOfSatisfying(
            MemberUnavailableException.class,
            e -> assertThat(e.reason()).isEqualTo(MemberUnavailableException.Reason.CIRCUIT_OPEN));
    assertThat(attempts).hasValue(4);
    assertThat(client.circuitBreaker().getState()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(client.isHealthy()).isFalse();

    assertThatThrownBy(() -> client.call("get-pod", () -> attempts.incrementAndGet()))
        .isInstanceOfSatisfying(
            MemberUnavailableException.class,
            e -> {
              assertThat(e.cluster()).isEqualTo("east");
              assertThat(e.operation()).isEqualTo("get-pod");
              assertThat(e.reason()).isEqualTo(MemberUnavailableException.Reason.CIRCUIT_OPEN);
              assertThat(e)
                  .hasMessage(
                      "member cluster east unavailable for get-pod: circuit breaker is open after recent failures");
            });
    assertThat(attempts).hasValue(4);
    assertThat(
            meters
                .get(MemberClient.CALLS_METER)
                .tags("cluster", "east", "operation", "get-pod", "outcome", "circuit_open")
                .timer()
                .count())
        .isEqualTo(1);
  }

  @Test
  void breakerLetsProbesThroughAfterTheOpenWaitOnTheInjectedClock() {
    assertThatThrownBy(
            () ->
                client.call(
                    "probe",
                    () -> {
                      throw new KubernetesClientException("down", 500, null);
                    }))
        .isInstanceOf(KubernetesClientException.class);
    assertThatThrownBy(
            () ->
                client.call(
                    "probe",
                    () -> {
                      throw new KubernetesClientException("down", 500, null);
                    }))
        .isInstanceOf(MemberUnavailableException.class);
    assertThat(client.circuitBreaker().getState()).isEqualTo(CircuitBreaker.State.OPEN);

    clock.advance(Duration.ofMinutes(1).plusSeconds(1));
    assertThat(client.call("probe", () -> "v1.30")).isEqualTo("v1.30");
    assertThat(client.circuitBreaker().getState()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
    assertThat(client.call("probe", () -> "v1.30")).isEqualTo("v1.30");
    assertThat(client.circuitBreaker().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(client.isHealthy()).isTrue();
  }

  @Test
  void answersLike404AreNotRetriedAndCountAsContact() {
    AtomicInteger attempts = new AtomicInteger();
    KubernetesClientException notFound = new KubernetesClientException("not found", 404, null);

    assertThatThrownBy(
            () ->
                client.call(
                    "get-pod",
                    () -> {
                      attempts.incrementAndGet();
                      throw notFound;
                    }))
        .isSameAs(notFound);

    assertThat(attempts).hasValue(1);
    assertThat(client.health().lastSuccess()).contains(clock.instant());
    assertThat(client.isHealthy()).isTrue();
    assertThat(client.circuitBreaker().getMetrics().getNumberOfFailedCalls()).isZero();
    assertThat(meters.get(MemberClient.CALLS_METER).tag("outcome", "rejected").timer().count())
        .isEqualTo(1);
  }

  @Test
  void healthNeedsARecentSuccess() {
    client.call("probe", () -> "ok");
    assertThat(client.isHealthy()).isTrue();
    clock.advance(Duration.ofSeconds(30));
    assertThat(client.isHealthy()).isTrue();
    clock.advance(Duration.ofSeconds(1));
    assertThat(client.isHealthy()).isFalse();
  }

  @Test
  void closedClientRefusesCalls() {
    client.close();
    assertThatThrownBy(() -> client.call("list-pods", () -> 1))
        .isInstanceOfSatisfying(
            MemberUnavailableException.class,
            e -> assertThat(e.reason()).isEqualTo(MemberUnavailableException.Reason.CLOSED));
    assertThat(client.isHealthy()).isFalse();
  }

  @Test
  void rateLimitExhaustionIsReported() {
    MemberResilience tight =
        new MemberResilience(
            config.withRateLimit(1, Duration.ZERO), clock, new SimpleMeterRegistry());
    MemberClient limited =
        new MemberClient(
            "west", kubernetes, tight.forCluster("west"), clock, Duration.ofSeconds(30), meters);
    limited.call("a", () -> 1);
    assertThatThrownBy(() -> limited.call("b", () -> 2))
        .isInstanceOfSatisfying(
            MemberUnavailableException.class,
            e -> assertThat(e.reason()).isEqualTo(MemberUnavailableException.Reason.RATE_LIMITED));
  }

  @Test
  void resilienceMetersAreTaggedWithTheMemberAndRemovedWithIt() {
    assertThat(
            meters
                .find("resilience4j.circuitbreaker.state")
                .tag("name", "member-east")
                .tag("cluster", "east")
                .gauges())
        .isNotEmpty();
    assertThat(
            meters.find("resilience4j.retry.calls").tag("name", "member-east").functionCounters())
        .isNotEmpty();
    assertThat(
            meters
                .find("resilience4j.ratelimiter.available.permissions")
                .tag("name", "member-east")
                .gauges())
        .isNotEmpty();

    resilience.remove("east");

    assertThat(meters.find("resilience4j.circuitbreaker.state").tag("name", "member-east").gauges())
        .isEmpty();
  }

  @Test
  void errorClassification() {
    assertThat(MemberErrors.isTransient(new KubernetesClientException("x", 500, null))).isTrue();
    assertThat(MemberErrors.isTransient(new KubernetesClientException("x", 429, null))).isTrue();
    assertThat(MemberErrors.isTransient(new KubernetesClientException("x", 409, null))).isFalse();
    assertThat(
            MemberErrors.isTransient(new KubernetesClientException("x", new IOException("reset"))))
        .isTrue();
    assertThat(MemberErrors.isTransient(new KubernetesClientException("x"))).isTrue();
    assertThat(MemberErrors.isTransient(new IllegalStateException("bug"))).isFalse();
    assertThat(
            MemberErrors.isTransient(
                new MemberUnavailableException(
                    "a", "b", MemberUnavailableException.Reason.CIRCUIT_OPEN, null)))
        .isFalse();
  }
}
