package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.KeyCertOptions;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The simulated API server's connections to kubelets it does not simulate (virtual kubelets), as
 * kube-apiserver dials them: at the node's InternalIP and {@code daemonEndpoints} port, over TLS
 * with the API server's kubelet client certificate ({@code --kubelet-client-certificate}), without
 * verifying the kubelet's serving certificate. {@code pods/log} is forwarded to {@code
 * /containerLogs/...}, {@code pods/exec} relayed to {@code /exec/...}.
 */
final class KubeletProxy {
  private final Vertx vertx;
  private final ObjectStore store;
  private final KeyCertOptions clientCertificate;
  private volatile HttpClient httpClient;
  private volatile WebSocketClient webSocketClient;

  KubeletProxy(Vertx vertx, ObjectStore store, KeyCertOptions clientCertificate) {
    this.vertx = vertx;
    this.store = store;
    this.clientCertificate = clientCertificate;
  }

  /**
   * Forwards {@code pods/log} to the kubelet API of a node the simulator does not run (a virtual
   * kubelet).
   */
  void logs(HttpServerRequest req, ObjectNode pod, String nodeName, String container, MultiMap q) {
    String[] address = address(nodeName);
    String host = address[0];
    int port = Integer.parseInt(address[1]);
    StringBuilder uri =
        new StringBuilder("/containerLogs/")
            .append(pod.path("metadata").path("namespace").asText())
            .append('/')
            .append(pod.path("metadata").path("name").asText())
            .append('/')
            .append(container);
    String sep = "?";
    for (String p :
        List.of("tailLines", "timestamps", "sinceSeconds", "follow", "previous", "limitBytes")) {
      String v = q.get(p);
      if (v != null) {
        uri.append(sep).append(p).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8));
        sep = "&";
      }
    }
    HttpServerResponse resp = req.response();
    String h = host;
    httpClient()
        .request(
            new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setHost(h)
                .setPort(port)
                .setURI(uri.toString()))
        .compose(r -> r.send())
        .onSuccess(
            r -> {
              resp.setStatusCode(r.statusCode());
              resp.putHeader(
                  "Content-Type",
                  Optional.ofNullable(r.getHeader("Content-Type")).orElse("text/plain"));
              resp.setChunked(true);
              r.handler(resp::write);
              r.endHandler(v -> resp.end());
              r.exceptionHandler(e -> resp.reset());
            })
        .onFailure(
            e ->
                HttpJson.sendStatus(
                    resp,
                    new ApiException(
                        500,
                        "InternalError",
                        "Get \"https://" + h + ":" + port + uri + "\": " + e.getMessage())));
  }

  /**
   * {host, port} of a node's kubelet endpoint (its InternalIP and daemonEndpoints), as the API
   * server dials it.
   */
  String[] address(String nodeName) {
    ObjectNode node = store.get(ResourceTypes.NODES, null, nodeName);
    if (node == null) {
      throw ApiException.notFound(ResourceTypes.NODES, nodeName);
    }
    String host = null;
    for (JsonNode a : node.path("status").path("addresses")) {
      if ("InternalIP".equals(a.path("type").asText())) {
        host = a.path("address").asText();
      }
    }
    int port =
        node.path("status").path("daemonEndpoints").path("kubeletEndpoint").path("Port").asInt(0);
    if (host == null || port == 0) {
      throw new ApiException(
          500,
          "InternalError",
          "node " + nodeName + " publishes no InternalIP address and kubelet endpoint port");
    }
    return new String[] {host, Integer.toString(port)};
  }

  /**
   * Relays {@code pods/exec} to {@code /exec/...} on the kubelet of {@code nodeName}, message by
   * message in both directions; a kubelet that refuses the upgrade has its status passed back.
   */
  void exec(HttpServerRequest req, JsonNode pod, String nodeName, PodExec.Options opts) {
    String[] address = address(nodeName);
    StringBuilder uri =
        new StringBuilder("/exec/")
            .append(enc(pod.path("metadata").path("namespace").asText()))
            .append('/')
            .append(enc(pod.path("metadata").path("name").asText()))
            .append('/')
            .append(enc(opts.container()))
            .append('?');
    for (String c : opts.command()) {
      uri.append("command=").append(enc(c)).append('&');
    }
    uri.append("input=")
        .append(opts.stdin() ? 1 : 0)
        .append("&output=")
        .append(opts.stdout() ? 1 : 0)
        .append("&error=")
        .append(opts.stderr() ? 1 : 0)
        .append("&tty=")
        .append(opts.tty() ? 1 : 0);
    String offered = req.getHeader("Sec-WebSocket-Protocol");
    List<String> protocols =
        offered == null
            ? List.of()
            : Arrays.stream(offered.split(","))
                .map(String::trim)
                .filter(p -> !p.isEmpty())
                .toList();
    req.pause(); // the upgrade is answered once the kubelet has answered
    webSocketClient()
        .connect(
            new WebSocketConnectOptions()
                .setHost(address[0])
                .setPort(Integer.parseInt(address[1]))
                .setSsl(true)
                .setURI(uri.toString())
                .setSubProtocols(new ArrayList<>(protocols)))
        .onSuccess(
            kubelet -> {
              Pipe pipe = new Pipe(kubelet);
              req.toWebSocket()
                  .onSuccess(
                      ws -> {
                        pipe.join(ws);
                        vertx.setTimer(PodExec.FIRST_FRAMES_DELAY_MS, id -> pipe.release());
                      })
                  .onFailure(e -> kubelet.close());
            })
        .onFailure(
            e -> {
              req.resume();
              ApiException answer;
              if (e instanceof UpgradeRejectedException r) {
                String body = r.getBody() == null ? "" : r.getBody().toString().strip();
                answer =
                    new ApiException(
                        r.getStatus(),
                        r.getStatus() == 404 ? "NotFound" : "BadRequest",
                        body.isEmpty()
                            ? "the kubelet of node "
                                + nodeName
                                + " refused the exec (HTTP "
                                + r.getStatus()
                                + ")"
                            : body);
              } else {
                answer =
                    new ApiException(
                        500, "InternalError", "error dialing backend: " + e.getMessage());
              }
              if (!req.response().ended()) {
                req.response()
                    .setStatusCode(answer.code())
                    .putHeader("Content-Type", "application/json")
                    .end(answer.toStatus().toString());
              }
            });
  }

  /**
   * Relays one session between the client and the kubelet. The kubelet may answer, and even close,
   * before the client's upgrade is done and a moment after it (see {@link
   * PodExec#FIRST_FRAMES_DELAY_MS}): its messages are held until {@link #release()}, and its close
   * follows them.
   */
  private static final class Pipe {
    private final WebSocket kubelet;
    private final List<Buffer> early = new ArrayList<>();
    private ServerWebSocket client;
    private boolean released;
    private boolean kubeletEnded;

    Pipe(WebSocket kubelet) {
      this.kubelet = kubelet;
      kubelet.binaryMessageHandler(
          m -> {
            if (!released) {
              early.add(m);
            } else if (!client.isClosed()) {
              client.writeBinaryMessage(m);
            }
          });
      // end (not close) runs in frame order, after the last message
      kubelet.endHandler(
          v -> {
            kubeletEnded = true;
            if (released && !client.isClosed()) {
              client.close((short) 1000);
            }
          });
    }

    /** Sends the held kubelet messages (and its close) to the client, then relays at once. */
    void release() {
      released = true;
      if (client.isClosed()) {
        return;
      }
      early.forEach(client::writeBinaryMessage);
      early.clear();
      if (kubeletEnded) {
        client.close((short) 1000);
      }
    }

    /** Connects the client's input to the kubelet; output waits for {@link #release()}. */
    void join(ServerWebSocket client) {
      this.client = client;
      client.binaryMessageHandler(
          m -> {
            if (!kubelet.isClosed()) {
              kubelet.writeBinaryMessage(m);
            }
          });
      client.closeHandler(
          v -> {
            if (!kubelet.isClosed()) {
              kubelet.close((short) 1000);
            }
          });
    }
  }

  private HttpClient httpClient() {
    HttpClient c = httpClient;
    if (c == null) {
      synchronized (this) {
        if (httpClient == null) {
          httpClient =
              vertx.createHttpClient(
                  new HttpClientOptions()
                      .setSsl(true)
                      .setKeyCertOptions(clientCertificate)
                      .setTrustAll(true)
                      .setVerifyHost(false)
                      .setConnectTimeout(5000));
        }
        c = httpClient;
      }
    }
    return c;
  }

  private WebSocketClient webSocketClient() {
    WebSocketClient c = webSocketClient;
    if (c == null) {
      synchronized (this) {
        if (webSocketClient == null) {
          webSocketClient =
              vertx.createWebSocketClient(
                  new WebSocketClientOptions()
                      .setKeyCertOptions(clientCertificate)
                      .setTrustAll(true)
                      .setVerifyHost(false)
                      .setConnectTimeout(5000)
                      .setMaxFrameSize(16 * 1024 * 1024)
                      .setMaxMessageSize(64 * 1024 * 1024));
        }
        c = webSocketClient;
      }
    }
    return c;
  }

  /** Releases the clients. */
  void close() {
    WebSocketClient ws = webSocketClient;
    if (ws != null) {
      ws.close();
    }
    HttpClient c = httpClient;
    if (c != null) {
      c.close();
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
