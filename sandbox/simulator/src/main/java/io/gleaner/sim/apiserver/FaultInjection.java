package io.gleaner.sim.apiserver;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Faults an API server can be told to answer with, as an overloaded or failing kube-apiserver does:
 * while on, a share of list and watch requests get 500 (InternalError) or 429 (TooManyRequests,
 * with {@code Retry-After: 1}), alternately. Which requests fail is deterministic: every {@code
 * n}-th list or watch, counted across clients.
 */
public final class FaultInjection {
  private volatile int failEvery; // 0 = off
  private final AtomicLong seen = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();

  /** Fails every {@code n}-th list or watch ({@code n} = 1: all of them); 0 turns faults off. */
  public void failListsAndWatches(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0, got " + n);
    }
    failEvery = n;
  }

  /** Lists and watches answered with an error so far. */
  public long failed() {
    return failed.get();
  }

  /** Answers {@code req} with an error when it is one to fail; true when it did. */
  boolean intercept(HttpServerRequest req) {
    int n = failEvery;
    if (n == 0 || !isListOrWatch(req.method(), req.path(), req.query())) {
      return false;
    }
    long i = seen.incrementAndGet();
    if (i % n != 0) {
      return false;
    }
    boolean throttle = failed.incrementAndGet() % 2 == 0;
    ApiException e =
        throttle
            ? new ApiException(429, "TooManyRequests", "simulated: too many requests")
            : new ApiException(500, "InternalError", "simulated: internal error");
    if (throttle) {
      req.response().putHeader("Retry-After", "1");
    }
    HttpJson.sendStatus(req.response(), e);
    return true;
  }

  /** Whether a request lists or watches a collection ({@code GET} with no object name). */
  static boolean isListOrWatch(HttpMethod method, String path, String query) {
    if (method != HttpMethod.GET) {
      return false;
    }
    if (query != null && (query.contains("watch=true") || query.contains("watch=1"))) {
      return true;
    }
    List<String> segs = List.of(path.replaceAll("^/+|/+$", "").split("/"));
    int from;
    if (segs.get(0).equals("api")) {
      from = 2;
    } else if (segs.get(0).equals("apis")) {
      from = 3;
    } else {
      return false;
    }
    if (segs.size() <= from) {
      return false;
    }
    List<String> rest = segs.subList(from, segs.size());
    if (rest.size() > 2 && rest.get(0).equals("namespaces")) {
      rest = rest.subList(2, rest.size());
    }
    return rest.size() == 1;
  }
}
