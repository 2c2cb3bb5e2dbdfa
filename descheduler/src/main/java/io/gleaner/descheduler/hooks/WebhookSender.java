package io.gleaner.descheduler.hooks;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.gleaner.api.v1.ReclaimEvent;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers ReclaimEvents to one webhook: JSON POST signed with HMAC-SHA256 ({@link Signatures}), on
 * the hook's own single thread with a bounded queue, retried with exponential backoff, behind the
 * hook's circuit breaker. {@link #offer} never blocks: a full queue drops the event (counted).
 */
public final class WebhookSender implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WebhookSender.class);
  private static final JsonFormat.Printer JSON =
      JsonFormat.printer().omittingInsignificantWhitespace();

  private final Webhook hook;
  private final HttpClient http;
  private final ThreadPoolExecutor worker;
  private final CircuitBreaker breaker;
  private final Retry retry;
  private final BiConsumer<Webhook, HookOutcome> outcomes;

  /**
   * @param outcomes told of every delivery's outcome (metrics); must not block
   */
  public WebhookSender(Webhook hook, HttpClient http, BiConsumer<Webhook, HookOutcome> outcomes) {
    this.hook = Objects.requireNonNull(hook, "hook");
    this.http = Objects.requireNonNull(http, "http");
    this.outcomes = Objects.requireNonNull(outcomes, "outcomes");
    this.worker =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(hook.queueCapacity()),
            r -> {
              Thread t = new Thread(r, "webhook-" + hook.name());
              t.setDaemon(true);
              return t;
            });
    this.breaker =
        CircuitBreaker.of(
            "webhook-" + hook.name(),
            CircuitBreakerConfig.custom()
                .slidingWindowSize(10)
                .minimumNumberOfCalls(5)
                .failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofSeconds(30))
                .build());
    this.retry =
        Retry.of(
            "webhook-" + hook.name(),
            RetryConfig.custom()
                .maxAttempts(hook.maxAttempts())
                .intervalFunction(IntervalFunction.ofExponentialBackoff(hook.initialBackoff(), 2.0))
                .ignoreExceptions(CallNotPermittedException.class)
                .build());
  }

  public Webhook hook() {
    return hook;
  }

  public CircuitBreaker circuitBreaker() {
    return breaker;
  }

  public Retry retry() {
    return retry;
  }

  /** Queues the event if the hook's filter wants it; returns at once. */
  public void offer(ReclaimEvent event) {
    if (!Filters.matches(hook.filter(), event)) {
      return;
    }
    try {
      worker.execute(() -> outcomes.accept(hook, deliver(event)));
    } catch (RejectedExecutionException e) {
      outcomes.accept(hook, HookOutcome.DROPPED);
    }
  }

  private HookOutcome deliver(ReclaimEvent event) {
    byte[] body;
    try {
      body = JSON.print(event).getBytes(StandardCharsets.UTF_8);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot render reclaim event as JSON", e);
    }
    HttpRequest request =
        HttpRequest.newBuilder(hook.url())
            .timeout(hook.timeout())
            .header("Content-Type", "application/json")
            .header(Signatures.HEADER, Signatures.sign(hook.secret(), body, Instant.now()))
            .header("X-Gleaner-Event", "reclaim")
            .header("X-Gleaner-Delivery", event.getId())
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    Supplier<Integer> post =
        () -> {
          try {
            int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status / 100 != 2) {
              throw new DeliveryException("webhook " + hook.name() + " answered HTTP " + status);
            }
            return status;
          } catch (IOException e) {
            throw new DeliveryException("webhook " + hook.name() + ": " + e.getMessage());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeliveryException("webhook " + hook.name() + ": interrupted");
          }
        };
    try {
      Retry.decorateSupplier(retry, CircuitBreaker.decorateSupplier(breaker, post)).get();
      return HookOutcome.DELIVERED;
    } catch (CallNotPermittedException e) {
      return HookOutcome.CIRCUIT_OPEN;
    } catch (DeliveryException e) {
      log.warn("reclaim event {} not delivered: {}", event.getId(), e.getMessage());
      return HookOutcome.FAILED;
    }
  }

  @Override
  public void close() {
    worker.shutdownNow();
  }

  /** A failed attempt (non-2xx or I/O); retried. */
  static final class DeliveryException extends RuntimeException {
    DeliveryException(String message) {
      super(message, null, false, false);
    }
  }
}
