package io.gleaner.meta.registry;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;

/** A fabric8 mock API server in CRUD mode on 127.0.0.1 that a test can stop mid-way. */
public final class MockCluster implements AutoCloseable {
  private final KubernetesMockServer server;
  private final KubernetesClient client;
  private final AtomicInteger failuresLeft = new AtomicInteger();
  private volatile String failingPath = "";
  private volatile String failingMethod;
  private volatile int failingCode = 500;
  private final Map<String, AtomicInteger> requests =
      new java.util.concurrent.ConcurrentHashMap<>();
  private boolean stopped;

  public MockCluster() {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            responses,
            new KubernetesMixedDispatcher(responses) {
              @Override
              public MockResponse dispatch(RecordedRequest request) {
                String path = request.getPath();
                if (path != null) {
                  int query = path.indexOf('?');
                  String bare = query < 0 ? path : path.substring(0, query);
                  requests.computeIfAbsent(bare, k -> new AtomicInteger()).incrementAndGet();
                  requests
                      .computeIfAbsent(request.getMethod() + " " + bare, k -> new AtomicInteger())
                      .incrementAndGet();
                }
                if (path != null
                    && path.startsWith(failingPath)
                    && !failingPath.isEmpty()
                    && (failingMethod == null || failingMethod.equals(request.getMethod()))
                    && failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                  return new MockResponse()
                      .setResponseCode(failingCode)
                      .setBody(
                          "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                              + "\"message\":\"injected failure\",\"code\":"
                              + failingCode
                              + "}");
                }
                return super.dispatch(request);
              }
            },
            false);
    try {
      server.init(InetAddress.getByName("127.0.0.1"), 0);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
    client = server.createClient();
  }

  /**
   * Answers the next {@code times} requests whose path starts with {@code pathPrefix} with 500, as
   * an API server that is briefly overloaded.
   */
  public void failNext(String pathPrefix, int times) {
    failNext(null, pathPrefix, times, 500);
  }

  /**
   * Answers the next {@code times} requests of {@code method} (any when null) whose path starts
   * with {@code pathPrefix} with {@code code}, e.g. 409 as when another writer changed the object.
   */
  public void failNext(String method, String pathPrefix, int times, int code) {
    failingMethod = method;
    failingCode = code;
    failingPath = pathPrefix;
    failuresLeft.set(times);
  }

  /** How many requests this server has received for {@code path} (its query left out). */
  public int requests(String path) {
    AtomicInteger n = requests.get(path);
    return n == null ? 0 : n.get();
  }

  /** How many {@code method} requests this server has received for {@code path}. */
  public int requests(String method, String path) {
    return requests(method + " " + path);
  }

  /** Base URL, e.g. {@code http://127.0.0.1:41234}. */
  public String url() {
    String u = server.url("/");
    return u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
  }

  public KubernetesClient client() {
    return client;
  }

  /** Stops answering: connections are refused from now on. */
  public void stop() {
    if (!stopped) {
      stopped = true;
      server.destroy();
    }
  }

  @Override
  public void close() {
    client.close();
    stop();
  }
}
