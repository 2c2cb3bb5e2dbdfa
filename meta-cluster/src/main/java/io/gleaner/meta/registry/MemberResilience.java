package io.gleaner.meta.registry;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedRateLimiterMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedRetryMetrics;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * The Resilience4j registries for member calls, bound once to Micrometer through Resilience4j's
 * tagged binders ({@code resilience4j.circuitbreaker.*}, {@code resilience4j.retry.*}, {@code
 * resilience4j.ratelimiter.*}, tag {@code name=member-<cluster>} plus {@code cluster}). Removing a
 * member removes its entries, and the binders drop its meters.
 */
public final class MemberResilience {
  private final CircuitBreakerRegistry breakers;
  private final RetryRegistry retries;
  private final RateLimiterRegistry rateLimiters;

  /** One breaker, retry and rate limiter for a cluster. */
  public record Set(CircuitBreaker breaker, Retry retry, RateLimiter rateLimiter) {}

  public MemberResilience(MemberClientConfig config, Clock clock, MeterRegistry meters) {
    CircuitBreakerConfig breakerConfig =
        CircuitBreakerConfig.custom()
            .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
            .slidingWindowSize(config.breakerWindowSize())
            .minimumNumberOfCalls(config.breakerMinimumCalls())
            .failureRateThreshold(config.breakerFailureRatePercent())
            .waitDurationInOpenState(config.breakerOpenWait())
            .permittedNumberOfCallsInHalfOpenState(config.breakerHalfOpenCalls())
            .recordException(MemberErrors::isTransient)
            .clock(clock)
            .build();
    RetryConfig retryConfig =
        RetryConfig.custom()
            .maxAttempts(config.retryMaxAttempts())
            .intervalFunction(
                IntervalFunction.ofExponentialBackoff(config.retryInitialBackoff(), 2.0))
            .retryOnException(MemberErrors::isTransient)
            .build();
    RateLimiterConfig limiterConfig =
        RateLimiterConfig.custom()
            .limitForPeriod(config.rateLimitPerSecond())
            .limitRefreshPeriod(Duration.ofSeconds(1))
            .timeoutDuration(config.rateLimitTimeout())
            .build();
    this.breakers = CircuitBreakerRegistry.of(breakerConfig);
    this.retries = RetryRegistry.of(retryConfig);
    this.rateLimiters = RateLimiterRegistry.of(limiterConfig);
    TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(meters);
    TaggedRetryMetrics.ofRetryRegistry(retries).bindTo(meters);
    TaggedRateLimiterMetrics.ofRateLimiterRegistry(rateLimiters).bindTo(meters);
  }

  /** The Resilience4j name of a cluster's breaker, retry and rate limiter. */
  public static String name(String cluster) {
    return "member-" + cluster;
  }

  /** Creates (or returns the existing) set for {@code cluster}. */
  public Set forCluster(String cluster) {
    String name = name(cluster);
    Map<String, String> tags = Map.of("cluster", cluster);
    return new Set(
        breakers.circuitBreaker(name, tags),
        retries.retry(name, tags),
        rateLimiters.rateLimiter(name, tags));
  }

  /** Forgets the cluster's set (and so its meters). */
  public void remove(String cluster) {
    String name = name(cluster);
    breakers.remove(name);
    retries.remove(name);
    rateLimiters.remove(name);
  }

  public CircuitBreakerRegistry breakers() {
    return breakers;
  }

  public RetryRegistry retries() {
    return retries;
  }

  public RateLimiterRegistry rateLimiters() {
    return rateLimiters;
  }
}
