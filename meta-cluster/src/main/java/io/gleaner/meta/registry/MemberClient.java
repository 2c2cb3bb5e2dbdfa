package io.gleaner.meta.registry;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import io.github.resilience4j.retry.Retry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Resilient request/response calls to one member cluster: every call goes through the member's
 * Retry, then RateLimiter, then CircuitBreaker (all named {@code member-<cluster>}). Only failures
 * where the member did not answer (see {@link MemberErrors#isTransient}) are retried and counted by
 * the breaker; a 404 or 409 is returned to the caller at once and proves the member is up.
 *
 * <p>Meter {@value #CALLS_METER} (timer), tags {@code cluster}, {@code operation} (keep it a small
 * fixed set such as {@code list-nodes}) and {@code outcome} = ok | rejected (4xx answer) | error |
 * circuit_open | rate_limited | fenced (refused by this replica's leader lease) | closed.
 * Thread-safe; {@link #call} blocks the calling thread, {@link #probe} does not.
 */
public final class MemberClient implements AutoCloseable {
  /** Timer of member calls. */
  public static final String CALLS_METER = "gleaner.member.calls";

  private static final Logger log = LoggerFactory.getLogger(MemberClient.class);

  private final String cluster;
  private final KubernetesClient client;
  private final MemberResilience.Set resilience;
  private final Clock clock;
  private final Duration healthyWithin;
  private final MeterRegistry meters;

  private volatile Instant lastSuccess;
  private volatile Instant lastFailure;
  private volatile String lastError;
  private volatile boolean closed;

  /**
   * @param healthyWithin how old the last success may be for {@link #isHealthy()}
   */
  public MemberClient(
      String cluster,
      KubernetesClient client,
      MemberResilience.Set resilience,
      Clock clock,
      Duration healthyWithin,
      MeterRegistry meters) {
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    this.client = Objects.requireNonNull(client, "client");
    this.resilience = Objects.requireNonNull(resilience, "resilience");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.healthyWithin = Objects.requireNonNull(healthyWithin, "healthyWithin");
    this.meters = Objects.requireNonNull(meters, "meters");
    resilience
        .breaker()
        .getEventPublisher()
        .onStateTransition(
            e -> {
              MDC.put("cluster", cluster);
              try {
                log.info("member {} circuit breaker {}", cluster, e.getStateTransition());
              } finally {
                MDC.remove("cluster");
              }
            });
  }

  public String cluster() {
    return cluster;
  }

  /**
   * The raw client, for informers and watches (which reconnect on their own). Request/response
   * calls should go through {@link #call} so that failures count towards the member's health.
   */
  public KubernetesClient kubernetes() {
    return client;
  }

  /**
   * Runs {@code call} against the member with retry, rate limit and circuit breaker.
   *
   * @throws MemberUnavailableException when the breaker is open, the rate limit is exhausted or the
   *     client is closed; the call was not made
   * @throws io.fabric8.kubernetes.client.KubernetesClientException what the call threw: a 4xx
   *     answer at once, a transient failure after the last retry
   */
  public <T> T call(String operation, Function<KubernetesClient, T> call) {
    Objects.requireNonNull(call, "call");
    return execute(operation, () -> call.apply(client));
  }

  /** As {@link #call(String, Function)}, for a supplier that captures the client itself. */
  public <T> T call(String operation, Supplier<T> call) {
    Objects.requireNonNull(call, "call");
    return execute(operation, call);
  }

  /** As {@link #call(String, Function)} for calls without a result. */
  public void run(String operation, Consumer<KubernetesClient> call) {
    execute(
        operation,
        () -> {
          call.accept(client);
          return null;
        });
  }

  /**
   * {@code GET /version}, with no thread waiting for the answer (fabric8's HTTP client is
   * asynchronous underneath), so probing a hundred members, some of them unreachable until their
   * timeouts, takes no thread per member. It passes the member's circuit breaker as every call
   * does; it has no retry and no rate limit of its own: the registry sends one per probe interval,
   * and the next probe is its retry. Completes when the member answered (a 4xx answer too: the
   * member is up); fails with {@link MemberUnavailableException} when the breaker is open or the
   * client closed, else with what the request met.
   */
  public CompletableFuture<Void> probe() {
    String operation = "probe";
    if (closed) {
      timer(operation, "closed").record(Duration.ZERO);
      return CompletableFuture.failedFuture(
          new MemberUnavailableException(
              cluster, operation, MemberUnavailableException.Reason.CLOSED, null));
    }
    CircuitBreaker breaker = resilience.breaker();
    if (!breaker.tryAcquirePermission()) {
      timer(operation, "circuit_open").record(Duration.ZERO);
      return CompletableFuture.failedFuture(
          new MemberUnavailableException(
              cluster, operation, MemberUnavailableException.Reason.CIRCUIT_OPEN, null));
    }
    long start = System.nanoTime();
    CompletableFuture<io.fabric8.kubernetes.client.http.HttpResponse<String>> sent;
    try {
      io.fabric8.kubernetes.client.http.HttpClient http = client.getHttpClient();
      String base = client.getMasterUrl().toString();
      io.fabric8.kubernetes.client.http.HttpRequest.Builder request =
          http.newHttpRequestBuilder().uri(base + (base.endsWith("/") ? "" : "/") + "version");
      int timeoutMillis = client.getConfiguration().getRequestTimeout();
      if (timeoutMillis > 0) {
        request.timeout(timeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
      }
      sent = http.sendAsync(request.build(), String.class);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    return sent.handle(
        (response, error) -> {
          long nanos = System.nanoTime() - start;
          // an exception here means no answer (refused, reset, closed, timed out), whatever its
          // type (Vert.x reports some as its own VertxException): a transient failure, as the
          // blocking calls' KubernetesClientException without a code is
          Throwable failure =
              error != null
                  ? new KubernetesClientException(
                      "GET /version: no answer: " + MemberErrors.describe(unwrap(error)),
                      unwrap(error))
                  : response.code() >= 400
                      ? new KubernetesClientException(
                          "GET /version: HTTP " + response.code(), response.code(), null)
                      : null;
          String outcome;
          if (failure == null) {
            breaker.onSuccess(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
            lastSuccess = clock.instant();
            outcome = "ok";
          } else {
            breaker.onError(nanos, java.util.concurrent.TimeUnit.NANOSECONDS, failure);
            outcome = closed ? "closed" : failed(operation, failure);
          }
          timer(operation, outcome).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
          if (failure != null) {
            throw new java.util.concurrent.CompletionException(failure);
          }
          return null;
        });
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof java.util.concurrent.CompletionException && t.getCause() != null
        ? t.getCause()
        : t;
  }

  private <T> T execute(String operation, Supplier<T> call) {
    Timer.Sample sample = Timer.start(meters);
    String outcome = "error";
    String previousCluster = MDC.get("cluster");
    MDC.put("cluster", cluster);
    try {
      if (closed) {
        outcome = "closed";
        throw new MemberUnavailableException(
            cluster, operation, MemberUnavailableException.Reason.CLOSED, null);
      }
      Supplier<T> guarded = CircuitBreaker.decorateSupplier(resilience.breaker(), call);
      guarded = RateLimiter.decorateSupplier(resilience.rateLimiter(), guarded);
      guarded = Retry.decorateSupplier(resilience.retry(), guarded);
      try {
        T result = guarded.get();
        lastSuccess = clock.instant();
        outcome = "ok";
        return result;
      } catch (CallNotPermittedException e) {
        outcome = "circuit_open";
        throw new MemberUnavailableException(
            cluster, operation, MemberUnavailableException.Reason.CIRCUIT_OPEN, e);
      } catch (RequestNotPermitted e) {
        outcome = "rate_limited";
        throw new MemberUnavailableException(
            cluster, operation, MemberUnavailableException.Reason.RATE_LIMITED, e);
      } catch (RuntimeException e) {
        if (closed) {
          outcome = "closed";
          throw new MemberUnavailableException(
              cluster, operation, MemberUnavailableException.Reason.CLOSED, e);
        }
        outcome = failed(operation, e);
        throw e;
      }
    } finally {
      if (previousCluster == null) {
        MDC.remove("cluster");
      } else {
        MDC.put("cluster", previousCluster);
      }
      sample.stop(timer(operation, outcome));
    }
  }

  /**
   * Records a call that failed: a transient failure (no answer, 5xx, 429) is the member's health's
   * business; a refusal by this replica's own leader lease says nothing about the member; any other
   * answer (404, 409, 403...) proves the member is up. Returns the outcome tag.
   */
  private String failed(String operation, Throwable e) {
    if (io.gleaner.meta.coord.NotLeaderException.isCause(e)) {
      return "fenced";
    }
    if (MemberErrors.isTransient(e)) {
      lastFailure = clock.instant();
      lastError = operation + ": " + MemberErrors.describe(e);
      log.debug("member {} call {} failed: {}", cluster, operation, lastError);
      return "error";
    }
    lastSuccess = clock.instant();
    return "rejected";
  }

  private Timer timer(String operation, String outcome) {
    return meters.timer(
        CALLS_METER, "cluster", cluster, "operation", operation, "outcome", outcome);
  }

  /** Breaker not open and a call succeeded within the health window. */
  public boolean isHealthy() {
    return health().healthy();
  }

  /** A snapshot of the member's call health. */
  public MemberHealth health() {
    CircuitBreaker.State state = resilience.breaker().getState();
    Instant success = lastSuccess;
    boolean open = state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN;
    boolean recent =
        success != null && Duration.between(success, clock.instant()).compareTo(healthyWithin) <= 0;
    return new MemberHealth(
        cluster,
        state,
        Optional.ofNullable(success),
        Optional.ofNullable(lastFailure),
        Optional.ofNullable(lastError),
        !open && recent && !closed);
  }

  public CircuitBreaker circuitBreaker() {
    return resilience.breaker();
  }

  public Retry retry() {
    return resilience.retry();
  }

  public RateLimiter rateLimiter() {
    return resilience.rateLimiter();
  }

  public boolean isClosed() {
    return closed;
  }

  /** Refuses further calls and closes the underlying client; idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    client.close();
  }
}
