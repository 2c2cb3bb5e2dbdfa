package io.gleaner.vk.kubelet;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.vk.kubelet.KubeletBackend.Target;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code kubectl exec} session on the virtual node, relayed frame by frame to the member pod's
 * {@code pods/exec} subresource on the member API server, the way the API server relays a session
 * to a kubelet.
 *
 * <p>Frames are passed on unchanged and in order in both directions (channel byte first: 0 stdin, 1
 * stdout, 2 stderr, 3 status, 4 resize, 255 close stdin in {@code v5.channel.k8s.io}), so the
 * member's exit status always follows its last output. The member is offered the client's protocol
 * (and v4 besides, for a member before Kubernetes 1.30); when it settles on v4 under a v5 client,
 * the client's stdin-close frames are dropped (v4 has no way to say it). The member connection
 * carries the member cluster's credentials and TLS settings ({@link MemberWebSockets}); each side
 * is paused while the other cannot keep up.
 *
 * <p>The outcome is never invented: a member that ends the stream without a status, refuses the
 * upgrade or cannot be reached is reported as a {@code Failure} status naming the member cluster.
 */
final class ExecRelay {
  private static final Logger log = LoggerFactory.getLogger(ExecRelay.class);
  static final String V5 = "v5.channel.k8s.io";
  static final String V4 = "v4.channel.k8s.io";
  static final List<String> PROTOCOLS = List.of(V5, V4);
  private static final byte STATUS = 3;
  private static final byte CLOSE_STDIN = (byte) 255;

  /**
   * What the client asked for, from the {@code /exec} query (kubelet names {@code input}/{@code
   * output}/{@code error} and API-server names {@code stdin}/{@code stdout}/{@code stderr} are both
   * understood).
   */
  record ExecRequest(
      List<String> command, boolean stdin, boolean stdout, boolean stderr, boolean tty) {
    static ExecRequest parse(String query) {
      List<String> command = new ArrayList<>();
      boolean stdin = false;
      boolean stdout = false;
      boolean stderr = false;
      boolean tty = false;
      for (String kv : (query == null ? "" : query).split("&")) {
        if (kv.isEmpty()) {
          continue;
        }
        int eq = kv.indexOf('=');
        String k = eq < 0 ? kv : kv.substring(0, eq);
        String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
        boolean on = "true".equalsIgnoreCase(v) || "1".equals(v);
        switch (k) {
          case "command" -> command.add(v);
          case "stdin", "input" -> stdin = on;
          case "stdout", "output" -> stdout = on;
          case "stderr", "error" -> stderr = on;
          case "tty" -> tty = on;
          default -> {}
        }
      }
      return new ExecRequest(List.copyOf(command), stdin, stdout, stderr, tty);
    }

    /**
     * The member API server's {@code pods/exec} query, in the parameter order kubectl and fabric8
     * use.
     */
    String memberQuery(String container) {
      StringBuilder q = new StringBuilder();
      for (String c : command) {
        q.append(q.isEmpty() ? "" : "&").append("command=").append(encode(c));
      }
      q.append("&container=").append(encode(container));
      if (stdin) {
        q.append("&stdin=true");
      }
      if (stdout) {
        q.append("&stdout=true");
      }
      if (stderr) {
        q.append("&stderr=true");
      }
      if (tty) {
        q.append("&tty=true");
      }
      return q.toString();
    }
  }

  /**
   * The protocol the WebSocket handshake settles on: the client's first offer that this server
   * speaks.
   */
  static String negotiated(String offered) {
    if (offered == null) {
      return null;
    }
    for (String p : offered.split(",")) {
      if (PROTOCOLS.contains(p.trim())) {
        return p.trim();
      }
    }
    return null;
  }

  private final Vertx vertx;
  private final ServerWebSocket client;
  private final Target target;
  private final String container;
  private final ExecRequest request;
  private final String clientProtocol;
  private WebSocketClient memberClient;
  private WebSocket member;
  private final java.util.function.Consumer<String> outcome;
  private boolean statusSent;
  private boolean finished;

  /** What the session ended as, for {@link KubeletMetrics#EXEC_SESSIONS}. */
  private String result = "client_closed";

  ExecRelay(
      Vertx vertx,
      ServerWebSocket client,
      Target target,
      String container,
      ExecRequest request,
      java.util.function.Consumer<String> outcome) {
    this.outcome = outcome;
    this.vertx = vertx;
    this.client = client;
    this.target = target;
    this.container = container;
    this.request = request;
    this.clientProtocol = negotiated(client.headers().get("Sec-WebSocket-Protocol"));
  }

  /**
   * Connects to the member, then answers the client's upgrade. Must run on the client's Vert.x
   * context: the member socket is then handed over in the same event-loop task as the member's 101,
   * so its handlers are in place before its first frame. The client is paused until both ends are
   * joined, so no input is lost.
   */
  void start(Promise<Integer> handshake) {
    client.pause();
    if (request.command().isEmpty()) {
      handshake.complete(101);
      fail("you must specify at least one command for the container");
      return;
    }
    // a client on v5 gets v5 from a member that has it (Kubernetes >= 1.30), else v4
    List<String> offer = V5.equals(clientProtocol) ? PROTOCOLS : List.of(V4);
    Config config = target.client().getConfiguration();
    String path =
        "/api/v1/namespaces/"
            + encode(target.namespace())
            + "/pods/"
            + encode(target.name())
            + "/exec?"
            + request.memberQuery(container);
    try {
      memberClient = vertx.createWebSocketClient(MemberWebSockets.clientOptions(config));
    } catch (Exception e) {
      handshake.complete(101);
      fail(
          "member cluster "
              + target.cluster()
              + ": cannot set up TLS for its API server: "
              + describe(e));
      return;
    }
    memberClient
        .connect(MemberWebSockets.connectOptions(config, path, offer))
        .onSuccess(ws -> joined(handshake, ws))
        .onFailure(
            err -> {
              handshake.complete(101);
              fail(
                  "member cluster "
                      + target.cluster()
                      + " did not open the exec stream of pod "
                      + target.namespace()
                      + "/"
                      + target.name()
                      + ": "
                      + refusal(err));
            });
  }

  private void joined(Promise<Integer> handshake, WebSocket ws) {
    member = ws;
    handshake.complete(101);
    boolean dropCloseStdin = V5.equals(clientProtocol) && !V5.equals(ws.subProtocol());
    ws.binaryMessageHandler(
        frame -> {
          if (finished || client.isClosed()) {
            return;
          }
          if (frame.length() > 0 && frame.getByte(0) == STATUS) {
            statusSent = true;
            result = outcomeOf(frame);
          }
          client.writeBinaryMessage(frame);
          if (client.writeQueueFull()) {
            ws.pause();
            client.drainHandler(v -> ws.resume());
          }
        });
    ws.textMessageHandler(
        text -> {
          if (!finished && !client.isClosed()) {
            client.writeTextMessage(text);
          }
        });
    // end (not close) runs in frame order, after the last message
    ws.endHandler(
        v -> {
          if (statusSent) {
            finish();
          } else {
            fail(
                "member cluster "
                    + target.cluster()
                    + " closed the exec stream before the command's exit status"
                    + (ws.closeReason() == null || ws.closeReason().isEmpty()
                        ? ""
                        : " (" + ws.closeReason() + ")"));
          }
        });
    ws.exceptionHandler(
        e -> {
          log.debug("exec on member {}: {}", target.cluster(), e.toString());
          fail("member cluster " + target.cluster() + ": exec stream failed: " + describe(e));
        });
    client.binaryMessageHandler(
        buf -> {
          if (buf.length() == 0
              || dropCloseStdin && buf.getByte(0) == CLOSE_STDIN
              || ws.isClosed()) {
            return;
          }
          ws.writeBinaryMessage(buf);
          if (ws.writeQueueFull()) {
            client.pause();
            ws.drainHandler(v -> client.resume());
          }
        });
    client.textMessageHandler(
        text -> {
          if (!ws.isClosed()) {
            ws.writeTextMessage(text);
          }
        });
    client.closeHandler(v -> finish());
    client.resume();
  }

  /** What the member answered instead of the upgrade, as a person reads it. */
  private static String refusal(Throwable err) {
    if (err instanceof UpgradeRejectedException r) {
      String body = r.getBody() == null ? "" : r.getBody().toString(StandardCharsets.UTF_8).strip();
      String message = body;
      try {
        String m = Serialization.jsonMapper().readTree(body).path("message").asText("");
        if (!m.isEmpty()) {
          message = m;
        }
      } catch (Exception notJson) {
        // keep the body as it is
      }
      return "HTTP " + r.getStatus() + (message.isEmpty() ? "" : ": " + message);
    }
    return describe(err);
  }

  /** success, exit_nonzero or failure, from the member's status message. */
  static String outcomeOf(Buffer statusFrame) {
    try {
      var s = Serialization.jsonMapper().readTree(statusFrame.getBytes(1, statusFrame.length()));
      if ("Success".equals(s.path("status").asText())) {
        return "success";
      }
      return "NonZeroExitCode".equals(s.path("reason").asText()) ? "exit_nonzero" : "failure";
    } catch (Exception e) {
      return "failure";
    }
  }

  /** Ends the session with a Failure status, unless a status already went out. */
  private void fail(String message) {
    if (!statusSent && !finished && !client.isClosed()) {
      statusSent = true;
      result = "relay_failure";
      client.writeBinaryMessage(status("Failure", message));
    }
    finish();
  }

  private void finish() {
    if (finished) {
      return;
    }
    finished = true;
    outcome.accept(result);
    if (!client.isClosed()) {
      client.close((short) 1000);
    }
    if (member != null && !member.isClosed()) {
      member.close((short) 1000);
    }
    if (memberClient != null) {
      memberClient.close();
    }
  }

  static Buffer status(String status, String message) {
    StringBuilder json =
        new StringBuilder("{\"metadata\":{},\"status\":\"").append(status).append('"');
    if (message != null) {
      json.append(",\"message\":").append(Serialization.asJson(message));
    }
    json.append('}');
    return Buffer.buffer().appendByte(STATUS).appendString(json.toString());
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
