package io.gleaner.meta.registry;

import java.time.Duration;

/**
 * Resilience settings for calls to one member cluster. {@link #defaults()} suits production; tests
 * shorten the waits with the {@code with*} methods.
 *
 * @param retryMaxAttempts attempts per call, first included (1 = no retry)
 * @param retryInitialBackoff wait before the first retry; doubles each retry
 * @param breakerWindowSize calls in the breaker's count-based sliding window
 * @param breakerMinimumCalls calls needed before the failure rate is computed
 * @param breakerFailureRatePercent failure rate (percent) that opens the breaker
 * @param breakerOpenWait how long the open breaker refuses calls before letting probes through
 * @param breakerHalfOpenCalls probe calls allowed while half-open
 * @param rateLimitPerSecond calls per second to the member (client side)
 * @param rateLimitTimeout how long a call may wait for a permit before {@code RATE_LIMITED}
 * @param connectTimeout TCP connect timeout of the member's HTTP client
 * @param requestTimeout per-request timeout of the member's HTTP client
 */
public record MemberClientConfig(
    int retryMaxAttempts,
    Duration retryInitialBackoff,
    int breakerWindowSize,
    int breakerMinimumCalls,
    float breakerFailureRatePercent,
    Duration breakerOpenWait,
    int breakerHalfOpenCalls,
    int rateLimitPerSecond,
    Duration rateLimitTimeout,
    Duration connectTimeout,
    Duration requestTimeout) {

  public MemberClientConfig {
    require(retryMaxAttempts >= 1, "retryMaxAttempts", retryMaxAttempts, ">= 1");
    require(breakerWindowSize >= 1, "breakerWindowSize", breakerWindowSize, ">= 1");
    require(breakerMinimumCalls >= 1, "breakerMinimumCalls", breakerMinimumCalls, ">= 1");
    require(
        breakerFailureRatePercent > 0 && breakerFailureRatePercent <= 100,
        "breakerFailureRatePercent",
        breakerFailureRatePercent,
        "in (0, 100]");
    require(breakerHalfOpenCalls >= 1, "breakerHalfOpenCalls", breakerHalfOpenCalls, ">= 1");
    require(rateLimitPerSecond >= 1, "rateLimitPerSecond", rateLimitPerSecond, ">= 1");
    positive(retryInitialBackoff, "retryInitialBackoff");
    positive(breakerOpenWait, "breakerOpenWait");
    positive(connectTimeout, "connectTimeout");
    positive(requestTimeout, "requestTimeout");
    if (rateLimitTimeout == null || rateLimitTimeout.isNegative()) {
      throw new IllegalArgumentException("rateLimitTimeout must be >= 0, got " + rateLimitTimeout);
    }
  }

  /** 3 attempts from 200 ms, breaker opens at 50% of 10 calls (min 5) for 30 s, 50 calls/s. */
  public static MemberClientConfig defaults() {
    return new MemberClientConfig(
        3,
        Duration.ofMillis(200),
        10,
        5,
        50f,
        Duration.ofSeconds(30),
        2,
        50,
        Duration.ofSeconds(5),
        Duration.ofSeconds(5),
        Duration.ofSeconds(10));
  }

  public MemberClientConfig withRetry(int maxAttempts, Duration initialBackoff) {
    return new MemberClientConfig(
        maxAttempts,
        initialBackoff,
        breakerWindowSize,
        breakerMinimumCalls,
        breakerFailureRatePercent,
        breakerOpenWait,
        breakerHalfOpenCalls,
        rateLimitPerSecond,
        rateLimitTimeout,
        connectTimeout,
        requestTimeout);
  }

  public MemberClientConfig withBreaker(int windowSize, int minimumCalls, Duration openWait) {
    return new MemberClientConfig(
        retryMaxAttempts,
        retryInitialBackoff,
        windowSize,
        minimumCalls,
        breakerFailureRatePercent,
        openWait,
        breakerHalfOpenCalls,
        rateLimitPerSecond,
        rateLimitTimeout,
        connectTimeout,
        requestTimeout);
  }

  public MemberClientConfig withRateLimit(int perSecond, Duration timeout) {
    return new MemberClientConfig(
        retryMaxAttempts,
        retryInitialBackoff,
        breakerWindowSize,
        breakerMinimumCalls,
        breakerFailureRatePercent,
        breakerOpenWait,
        breakerHalfOpenCalls,
        perSecond,
        timeout,
        connectTimeout,
        requestTimeout);
  }

  public MemberClientConfig withTimeouts(Duration connect, Duration request) {
    return new MemberClientConfig(
        retryMaxAttempts,
        retryInitialBackoff,
        breakerWindowSize,
        breakerMinimumCalls,
        breakerFailureRatePercent,
        breakerOpenWait,
        breakerHalfOpenCalls,
        rateLimitPerSecond,
        rateLimitTimeout,
        connect,
        request);
  }

  private static void require(boolean ok, String key, Object value, String rule) {
    if (!ok) {
      throw new IllegalArgumentException(key + " must be " + rule + ", got " + value);
    }
  }

  private static void positive(Duration d, String key) {
    if (d == null || d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(key + " must be > 0, got " + d);
    }
  }
}
