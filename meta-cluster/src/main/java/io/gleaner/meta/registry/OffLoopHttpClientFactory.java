package io.gleaner.meta.registry;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.http.TlsVersion;
import io.fabric8.kubernetes.client.http.WebSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.KeyManager;
import javax.net.ssl.TrustManager;

/**
 * fabric8 HTTP clients whose whole-body responses complete on {@code tasks} instead of the thread
 * that received the last byte.
 *
 * <p>fabric8 decodes a response in a stage chained on the future its HTTP client returns, so with
 * Vert.x that decoding ran on an event loop: a member's list of thousands of pods (or a cold JVM
 * building Jackson's deserializers for the first time) held that loop for seconds, and every other
 * member's requests, watches and probes on it waited, so members that had answered looked
 * unreachable. Completing {@link HttpClient#sendAsync} on the task pool moves the decoding and
 * everything chained after it off the loops. Streamed bodies ({@link HttpClient#consumeBytes}:
 * watches over HTTP, logs) and WebSockets keep the delegate's threads: their consumers are fed
 * chunk by chunk by the loop, which must stay in step with the connection.
 */
final class OffLoopHttpClientFactory implements HttpClient.Factory {
  private final HttpClient.Factory delegate;
  private final Executor tasks;

  OffLoopHttpClientFactory(HttpClient.Factory delegate, Executor tasks) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.tasks = Objects.requireNonNull(tasks, "tasks");
  }

  @Override
  public HttpClient.Builder newBuilder(Config config) {
    return new Builder(delegate.newBuilder(config), tasks);
  }

  @Override
  public HttpClient.Builder newBuilder() {
    return new Builder(delegate.newBuilder(), tasks);
  }

  @Override
  public int priority() {
    return delegate.priority();
  }

  /** The delegate's client, its {@code sendAsync} completing on the task pool. */
  private record Client(HttpClient delegate, Executor tasks) implements HttpClient {
    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, Class<T> type) {
      CompletableFuture<HttpResponse<T>> sent = delegate.sendAsync(request, type);
      CompletableFuture<HttpResponse<T>> completed =
          sent.thenApplyAsync(Function.identity(), tasks);
      // fabric8 cancels what it awaits on a timeout: the request itself must be cancelled too
      completed.whenComplete(
          (r, t) -> {
            if (completed.isCancelled()) {
              sent.cancel(true);
            }
          });
      return completed;
    }

    @Override
    public CompletableFuture<HttpResponse<AsyncBody>> consumeBytes(
        HttpRequest request, AsyncBody.Consumer<List<ByteBuffer>> consumer) {
      return delegate.consumeBytes(request, consumer);
    }

    @Override
    public DerivedClientBuilder newBuilder() {
      return new Derived(delegate.newBuilder(), tasks);
    }

    @Override
    public WebSocket.Builder newWebSocketBuilder() {
      return delegate.newWebSocketBuilder();
    }

    @Override
    public HttpRequest.Builder newHttpRequestBuilder() {
      return delegate.newHttpRequestBuilder();
    }

    @Override
    public boolean isClosed() {
      return delegate.isClosed();
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  /** A client derived from one of ours (other timeouts or interceptors) is one of ours. */
  private record Derived(HttpClient.DerivedClientBuilder delegate, Executor tasks)
      implements HttpClient.DerivedClientBuilder {
    @Override
    public HttpClient build() {
      return new Client(delegate.build(), tasks);
    }

    @Override
    public HttpClient.DerivedClientBuilder addOrReplaceInterceptor(
        String name, Interceptor interceptor) {
      delegate.addOrReplaceInterceptor(name, interceptor);
      return this;
    }

    @Override
    public HttpClient.DerivedClientBuilder authenticatorNone() {
      delegate.authenticatorNone();
      return this;
    }

    @Override
    public HttpClient.DerivedClientBuilder tag(Object value) {
      delegate.tag(value);
      return this;
    }
  }

  /** The delegate's builder, building our client. */
  private static final class Builder implements HttpClient.Builder {
    private final HttpClient.Builder delegate;
    private final Executor tasks;

    Builder(HttpClient.Builder delegate, Executor tasks) {
      this.delegate = delegate;
      this.tasks = tasks;
    }

    @Override
    public HttpClient build() {
      return new Client(delegate.build(), tasks);
    }

    @Override
    public HttpClient.Builder connectTimeout(long timeout, TimeUnit unit) {
      delegate.connectTimeout(timeout, unit);
      return this;
    }

    @Override
    public HttpClient.Builder addOrReplaceInterceptor(String name, Interceptor interceptor) {
      delegate.addOrReplaceInterceptor(name, interceptor);
      return this;
    }

    @Override
    public HttpClient.Builder authenticatorNone() {
      delegate.authenticatorNone();
      return this;
    }

    @Override
    public HttpClient.Builder tag(Object value) {
      delegate.tag(value);
      return this;
    }

    @Override
    public HttpClient.Builder sslContext(KeyManager[] keyManagers, TrustManager[] trustManagers) {
      delegate.sslContext(keyManagers, trustManagers);
      return this;
    }

    @Override
    public HttpClient.Builder followAllRedirects() {
      delegate.followAllRedirects();
      return this;
    }

    @Override
    public HttpClient.Builder proxyAddress(InetSocketAddress address) {
      delegate.proxyAddress(address);
      return this;
    }

    @Override
    public HttpClient.Builder proxyAuthorization(String credentials) {
      delegate.proxyAuthorization(credentials);
      return this;
    }

    @Override
    public HttpClient.Builder tlsVersions(TlsVersion... versions) {
      delegate.tlsVersions(versions);
      return this;
    }

    @Override
    public HttpClient.Builder preferHttp11() {
      delegate.preferHttp11();
      return this;
    }

    @Override
    public HttpClient.Builder proxyType(HttpClient.ProxyType type) {
      delegate.proxyType(type);
      return this;
    }
  }
}
