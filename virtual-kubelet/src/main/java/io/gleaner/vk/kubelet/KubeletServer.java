package io.gleaner.vk.kubelet;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodListBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.BytesLimitTerminateTimeTailPrettyLoggable;
import io.fabric8.kubernetes.client.dsl.Loggable;
import io.fabric8.kubernetes.client.dsl.PodResource;
import io.fabric8.kubernetes.client.dsl.TailPrettyLoggable;
import io.fabric8.kubernetes.client.dsl.TimeTailPrettyLoggable;
import io.fabric8.kubernetes.client.dsl.TimestampBytesLimitTerminateTimeTailPrettyLoggable;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.api.tls.ReloadingKeyManager;
import io.gleaner.api.tls.TlsMaterial;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.TrustOptions;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The virtual node's kubelet API over HTTPS (Vert.x core): {@code /healthz}, {@code /pods}, {@code
 * /containerLogs/{ns}/{pod}/{container}} and {@code /exec/{ns}/{pod}/{container}} proxied to the
 * member pod, {@code /stats/summary} and {@code /metrics/resource} aggregated from member metrics.
 * Every request except {@code /healthz} passes {@link KubeletAuth}.
 */
public final class KubeletServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubeletServer.class);
  static final List<String> EXEC_PROTOCOLS = ExecRelay.PROTOCOLS;

  private final Vertx vertx;
  private final KubeletBackend backend;
  private final KubeletAuth auth;
  private final Clock clock;
  private final KubeletMetrics metrics;
  private HttpServer server;
  private volatile ReloadingKeyManager keyManager;

  public KubeletServer(Vertx vertx, KubeletBackend backend, KubeletAuth auth, Clock clock) {
    this(
        vertx,
        backend,
        auth,
        clock,
        new KubeletMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry()));
  }

  public KubeletServer(
      Vertx vertx, KubeletBackend backend, KubeletAuth auth, Clock clock, KubeletMetrics metrics) {
    this.vertx = vertx;
    this.backend = backend;
    this.auth = auth;
    this.clock = clock;
    this.metrics = metrics;
  }

  /** Binds {@code host:port} (0 = any free port) and returns the bound port. */
  public int start(String host, int port, TlsMaterial tls) {
    keyManager = new ReloadingKeyManager(tls);
    HttpServerOptions opts =
        new HttpServerOptions()
            .setHost(host)
            .setPort(port)
            .setSsl(true)
            .setKeyCertOptions(KeyCertOptions.wrap(keyManager))
            .setWebSocketSubProtocols(EXEC_PROTOCOLS);
    if (!auth.clientCas().isEmpty()) {
      // asked for, not required (tokens and anonymous remain); the TLS layer takes any chain and
      // KubeletAuth verifies it against the client CA, so that a foreign one is a 401, as kubelet
      opts.setClientAuth(ClientAuth.REQUEST)
          .setTrustOptions(TrustOptions.wrap(new AdvertiseCaTrustManager(auth::clientCas)));
    }
    server = vertx.createHttpServer(opts);
    server.webSocketHandler(this::webSocket);
    server.requestHandler(this::request);
    try {
      server.listen().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(
          "kubelet API cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    log.info("kubelet API listening on https://{}:{}", host, server.actualPort());
    return server.actualPort();
  }

  public int port() {
    return server.actualPort();
  }

  /**
   * Serves {@code tls} to every TLS handshake that starts after this returns (a renewed or newly
   * issued certificate); open connections keep theirs. The swap is atomic and drops no handshake:
   * the server's SSL context stays, only the key manager it asks per handshake changes.
   *
   * @throws IllegalStateException when {@code tls} cannot be served (unreadable, or the key does
   *     not belong to the certificate); the current certificate stays
   */
  public void updateTls(TlsMaterial tls) {
    try {
      keyManager.serve(tls);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(
          "kubelet API cannot switch to the new certificate: " + e.getMessage(), e);
    }
    log.info(
        "kubelet API serving a new certificate: {} (valid until {})",
        keyManager.served().getSubjectX500Principal().getName(),
        keyManager.served().getNotAfter().toInstant());
  }

  private void request(HttpServerRequest req) {
    String path = req.path();
    HttpServerResponse counted = req.response();
    counted.endHandler(
        v -> metrics.request(KubeletMetrics.endpoint(path), counted.getStatusCode()));
    if ("/healthz".equals(path)) {
      req.response().putHeader("Content-Type", "text/plain").end("ok");
      return;
    }
    if (path.startsWith("/exec/") || path.startsWith("/attach/")) {
      // a plain HTTP request: WebSocket upgrades are served by webSocket()
      req.response()
          .setStatusCode(400)
          .end("exec needs a WebSocket upgrade with " + EXEC_PROTOCOLS + "\n");
      return;
    }
    String bearer = bearer(req.getHeader("Authorization"));
    List<Certificate> peer = peerCertificates(req.sslSession());
    vertx
        .<KubeletAuth.Decision>executeBlocking(
            () -> auth.authorize(peer, bearer, req.method().name(), path), false)
        .onSuccess(
            d -> {
              if (d instanceof KubeletAuth.Decision.Denied denied) {
                req.response()
                    .setStatusCode(denied.status())
                    .putHeader("Content-Type", "text/plain")
                    .end(denied.message() + "\n");
                return;
              }
              route(req, path);
            })
        .onFailure(
            e ->
                req.response()
                    .setStatusCode(500)
                    .end("authorization failed: " + e.getMessage() + "\n"));
  }

  private void route(HttpServerRequest req, String path) {
    HttpServerResponse resp = req.response();
    if ("/pods".equals(path) || "/pods/".equals(path)) {
      List<Pod> pods = new ArrayList<>(backend.pods());
      resp.putHeader("Content-Type", "application/json")
          .end(Serialization.asJson(new PodListBuilder().withItems(pods).build()));
      return;
    }
    if (path.startsWith("/containerLogs/")) {
      logs(req, path.substring("/containerLogs/".length()).split("/"));
      return;
    }
    if ("/stats/summary".equals(path) || "/stats/summary/".equals(path)) {
      vertx
          .executeBlocking(() -> Serialization.asJson(backend.statsSummary()), false)
          .onSuccess(json -> resp.putHeader("Content-Type", "application/json").end(json))
          .onFailure(e -> resp.setStatusCode(500).end(e.getMessage() + "\n"));
      return;
    }
    if ("/metrics/resource".equals(path)) {
      vertx
          .executeBlocking(backend::resourceMetrics, false)
          .onSuccess(text -> resp.putHeader("Content-Type", "text/plain; version=0.0.4").end(text))
          .onFailure(e -> resp.setStatusCode(500).end(e.getMessage() + "\n"));
      return;
    }
    resp.setStatusCode(404).end("404 page not found\n");
  }

  private void logs(HttpServerRequest req, String[] parts) {
    HttpServerResponse resp = req.response();
    if (parts.length != 3) {
      resp.setStatusCode(400).end("expected /containerLogs/{namespace}/{pod}/{container}\n");
      return;
    }
    String ns = decode(parts[0]);
    String pod = decode(parts[1]);
    String container = decode(parts[2]);
    LogOptions opts;
    try {
      opts = LogOptions.parse(req.params()::get);
    } catch (IllegalArgumentException e) {
      resp.setStatusCode(400).end(e.getMessage() + "\n");
      return;
    }
    Optional<KubeletBackend.Target> target = backend.resolve(ns, pod);
    if (target.isEmpty()) {
      resp.setStatusCode(404)
          .end("pod " + ns + "/" + pod + " has no member pod (not placed yet or gone)\n");
      return;
    }
    KubeletBackend.Target t = target.get();
    resp.putHeader("Content-Type", "text/plain");
    if (opts.follow()) {
      resp.setChunked(true);
      OutputStream out = new ResponseOutputStream(resp);
      vertx
          .executeBlocking(() -> logResource(t, container, opts).watchLog(out), false)
          .onSuccess(watch -> resp.closeHandler(v -> watch.close()))
          .onFailure(e -> fail(resp, t, e));
      return;
    }
    vertx
        .executeBlocking(() -> logResource(t, container, opts).getLog(), false)
        .onSuccess(text -> resp.end(text == null ? "" : text))
        .onFailure(e -> fail(resp, t, e));
  }

  private static void fail(HttpServerResponse resp, KubeletBackend.Target t, Throwable e) {
    if (resp.ended()) {
      return;
    }
    int code = e instanceof KubernetesClientException k && k.getCode() > 0 ? k.getCode() : 502;
    resp.setStatusCode(code).end("member cluster " + t.cluster() + ": " + e.getMessage() + "\n");
  }

  /**
   * Applies the log options. fabric8's fluent log DSL narrows the type at each step, but every step
   * returns the same implementation, so the casts below follow the order the DSL allows.
   */
  static Loggable logResource(KubeletBackend.Target t, String container, LogOptions o) {
    PodResource pod = t.client().pods().inNamespace(t.namespace()).withName(t.name());
    Object cur = pod.inContainer(container);
    if (o.timestamps()) {
      cur = ((TimestampBytesLimitTerminateTimeTailPrettyLoggable) cur).usingTimestamps();
    }
    if (o.previous()) {
      cur = ((BytesLimitTerminateTimeTailPrettyLoggable) cur).terminated();
    }
    if (o.limitBytes() != null) {
      cur =
          ((BytesLimitTerminateTimeTailPrettyLoggable) cur)
              .limitBytes((int) Math.min(Integer.MAX_VALUE, o.limitBytes()));
    }
    if (o.sinceSeconds() != null) {
      cur =
          ((TimeTailPrettyLoggable) cur)
              .sinceSeconds((int) Math.min(Integer.MAX_VALUE, o.sinceSeconds()));
    }
    if (o.tailLines() != null) {
      cur = ((TailPrettyLoggable) cur).tailingLines(o.tailLines());
    }
    return (Loggable) cur;
  }

  // --- exec over WebSocket (channel protocol: first byte = stream: 0 stdin, 1 stdout, 2 stderr, 3
  // error, 4 resize)

  private void webSocket(ServerWebSocket ws) {
    String path = ws.path();
    if (!path.startsWith("/exec/")) {
      ws.reject(404);
      return;
    }
    String[] parts = path.substring("/exec/".length()).split("/");
    if (parts.length != 3) {
      ws.reject(400);
      return;
    }
    String bearer = bearer(ws.headers().get("Authorization"));
    List<Certificate> peer = peerCertificates(ws.sslSession());
    // the answer to the upgrade is decided asynchronously (auth calls the API server): 101 accepts,
    // else the status
    Promise<Integer> handshake = Promise.promise();
    ws.setHandshake(handshake.future());
    handshake.future().onSuccess(code -> metrics.request("exec", code));
    vertx
        .<KubeletAuth.Decision>executeBlocking(
            () -> auth.authorize(peer, bearer, "POST", path), false)
        .onComplete(
            ar -> {
              if (ar.failed() || ar.result() instanceof KubeletAuth.Decision.Denied) {
                handshake.complete(
                    ar.succeeded() ? ((KubeletAuth.Decision.Denied) ar.result()).status() : 500);
                return;
              }
              startExec(ws, handshake, decode(parts[0]), decode(parts[1]), decode(parts[2]));
            });
  }

  private void startExec(
      ServerWebSocket ws, Promise<Integer> handshake, String ns, String pod, String container) {
    Optional<KubeletBackend.Target> target = backend.resolve(ns, pod);
    if (target.isEmpty()) {
      handshake.complete(404);
      return;
    }
    KubeletBackend.Target t = target.get();
    new ExecRelay(
            vertx,
            ws,
            t,
            container,
            ExecRelay.ExecRequest.parse(ws.query()),
            outcome -> metrics.execSession(t.cluster(), outcome))
        .start(handshake);
  }

  private static List<Certificate> peerCertificates(SSLSession session) {
    if (session == null) {
      return List.of();
    }
    try {
      return Arrays.asList(session.getPeerCertificates());
    } catch (SSLPeerUnverifiedException e) {
      return List.of();
    }
  }

  /**
   * Takes every client chain (KubeletAuth verifies it) and names the client CAs as acceptable
   * issuers, so that clients pick a certificate from them.
   */
  private record AdvertiseCaTrustManager(Supplier<List<X509Certificate>> cas)
      implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException("the kubelet API trusts no server");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return cas.get().toArray(X509Certificate[]::new);
    }
  }

  private static String bearer(String header) {
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return header.substring(7).trim();
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    if (server != null) {
      try {
        server.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.debug("closing kubelet API: {}", e.toString());
      }
    }
  }

  /** Streams a follow=true log into the chunked response. */
  private static final class ResponseOutputStream extends OutputStream {
    private final HttpServerResponse resp;

    ResponseOutputStream(HttpServerResponse resp) {
      this.resp = resp;
    }

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      if (!resp.ended() && !resp.closed()) {
        resp.write(Buffer.buffer().appendBytes(b, off, len));
      }
    }

    @Override
    public void close() {
      if (!resp.ended() && !resp.closed()) {
        resp.end();
      }
    }
  }
}
