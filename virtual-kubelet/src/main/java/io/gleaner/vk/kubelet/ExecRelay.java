package io.gleaner.vk.kubelet;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.vk.kubelet.KubeletBackend.Target;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code kubectl exec} session on the virtual node, relayed frame by frame to the member pod's {@code pods/exec}
 * subresource on the member API server, the way the API server relays a session to a kubelet.
 *
 * <p>Frames are passed on unchanged and in order in both directions (channel byte first: 0 stdin, 1 stdout,
 * 2 stderr, 3 status, 4 resize, 255 close stdin in {@code v5.channel.k8s.io}), so the member's exit status always
 * follows its last output. The member is asked for the channel protocol the client chose; a member that does not
 * speak {@code v5} is asked for {@code v4}, and the client's stdin-close frames are then dropped (v4 has no way to
 * say it). The member connection goes through the member cluster's fabric8 HTTP client, so it carries that
 * cluster's credentials and TLS settings.
 *
 * <p>The outcome is never invented: a member that ends the stream without a status, refuses the upgrade or cannot
 * be reached is reported as a {@code Failure} status naming the member cluster.
 */
final class ExecRelay {
  private static final Logger log = LoggerFactory.getLogger(ExecRelay.class);
  static final String V5 = "v5.channel.k8s.io";
  static final String V4 = "v4.channel.k8s.io";
  static final List<String> PROTOCOLS = List.of(V5, V4);
  private static final byte STATUS = 3;
  private static final byte CLOSE_STDIN = (byte) 255;
  /** Bytes of client input queued towards the member above which the client side is paused. */
  private static final long MAX_QUEUED_INPUT = 256 * 1024;
  private static final long CONNECT_TIMEOUT_SECONDS = 10;

  /** What the client asked for, from the {@code /exec} query (kubelet names {@code input}/{@code output}/{@code
   * error} and API-server names {@code stdin}/{@code stdout}/{@code stderr} are both understood). */
  record ExecRequest(List<String> command, boolean stdin, boolean stdout, boolean stderr, boolean tty) {
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
          default -> { }
        }
      }
      return new ExecRequest(List.copyOf(command), stdin, stdout, stderr, tty);
    }

    /** The member API server's {@code pods/exec} query, in the parameter order kubectl and fabric8 use. */
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

  /** The protocol the WebSocket handshake settles on: the client's first offer that this server speaks. */
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
  private Context context;
  private volatile io.fabric8.kubernetes.client.http.WebSocket member;
  private boolean statusSent;
  private boolean finished;
  /** Member events that came before the client's upgrade was answered, run in order once it is. */
  private List<Runnable> untilJoined = new ArrayList<>();
  /** The listener of the member connection in use (a refused v5 attempt's events are ignored). */
  private volatile MemberListener active;
  private final java.util.Map<String, MemberListener> listeners = new java.util.concurrent.ConcurrentHashMap<>();

  ExecRelay(Vertx vertx, ServerWebSocket client, Target target, String container, ExecRequest request) {
    this.vertx = vertx;
    this.client = client;
    this.target = target;
    this.container = container;
    this.request = request;
    this.clientProtocol = negotiated(client.headers().get("Sec-WebSocket-Protocol"));
  }

  /**
   * Connects to the member, then answers the client's upgrade; must run on the client's Vert.x context. The client is
   * paused until both ends are joined, so no input is lost.
   */
  void start(Promise<Integer> handshake) {
    context = vertx.getOrCreateContext();
    client.pause();
    if (request.command().isEmpty()) {
      handshake.complete(101);
      fail("you must specify at least one command for the container");
      return;
    }
    String memberProtocol = V5.equals(clientProtocol) ? V5 : V4;
    connect(memberProtocol).whenComplete((ws, err) -> context.runOnContext(v -> {
      if (err != null && V5.equals(memberProtocol)) {
        // an API server before Kubernetes 1.30 refuses v5; ask it for v4
        connect(V4).whenComplete((ws4, err4) -> context.runOnContext(v4 -> joined(handshake, ws4, err4, V4)));
        return;
      }
      joined(handshake, ws, err, memberProtocol);
    }));
  }

  private java.util.concurrent.CompletableFuture<io.fabric8.kubernetes.client.http.WebSocket> connect(
      String protocol) {
    URI uri = URI.create(target.client().getMasterUrl().toString().replaceAll("/+$", "") + "/api/v1/namespaces/"
        + encode(target.namespace()) + "/pods/" + encode(target.name()) + "/exec?" + request.memberQuery(container));
    return target.client().getHttpClient().newWebSocketBuilder().uri(uri).subprotocol(protocol)
        .connectTimeout(CONNECT_TIMEOUT_SECONDS, TimeUnit.SECONDS).buildAsync(new MemberListener(protocol, this))
        .orTimeout(CONNECT_TIMEOUT_SECONDS + 5, TimeUnit.SECONDS);
  }

  private void joined(Promise<Integer> handshake, io.fabric8.kubernetes.client.http.WebSocket ws, Throwable err,
      String memberProtocol) {
    handshake.complete(101);
    if (err != null) {
      Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
          ? err.getCause() : err;
      fail("member cluster " + target.cluster() + " did not open the exec stream of pod " + target.namespace() + "/"
          + target.name() + ": " + describe(cause));
      return;
    }
    member = ws;
    active = listeners.get(memberProtocol);
    boolean dropCloseStdin = V5.equals(clientProtocol) && !V5.equals(memberProtocol);
    client.binaryMessageHandler(buf -> {
      if (buf.length() == 0 || dropCloseStdin && buf.getByte(0) == CLOSE_STDIN) {
        return;
      }
      ws.send(ByteBuffer.wrap(buf.getBytes()));
      if (ws.queueSize() > MAX_QUEUED_INPUT) {
        client.pause();
        resumeWhenDrained(ws);
      }
    });
    client.textMessageHandler(text -> ws.send(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8))));
    client.closeHandler(v -> {
      if (!finished) {
        finished = true;
        ws.sendClose(1000, "client closed the exec stream");
      }
    });
    client.resume();
    List<Runnable> early = untilJoined;
    untilJoined = null;
    early.forEach(Runnable::run);
  }

  /** Runs a member event on the client's context, in arrival order, and not before the client side is joined. */
  private void onClientSide(MemberListener from, Runnable action) {
    Runnable checked = () -> {
      if (from == active) {
        action.run();
      }
    };
    context.runOnContext(v -> {
      if (untilJoined != null) {
        untilJoined.add(checked);
      } else {
        checked.run();
      }
    });
  }

  private void resumeWhenDrained(io.fabric8.kubernetes.client.http.WebSocket ws) {
    vertx.setTimer(10, id -> {
      if (ws.queueSize() > MAX_QUEUED_INPUT / 2 && !finished) {
        resumeWhenDrained(ws);
      } else {
        client.resume();
      }
    });
  }

  /** Receives the member's frames (on the member client's threads) and hands each, in order, to the client side. */
  private final class MemberListener implements io.fabric8.kubernetes.client.http.WebSocket.Listener {
    private final String protocol;

    MemberListener(String protocol, ExecRelay relay) {
      this.protocol = protocol;
      relay.listeners.put(protocol, this);
    }

    @Override
    public void onOpen(io.fabric8.kubernetes.client.http.WebSocket ws) {
      ws.request();
    }

    @Override
    public void onMessage(io.fabric8.kubernetes.client.http.WebSocket ws, ByteBuffer bytes) {
      // the buffer is only valid during this call
      Buffer frame = Buffer.buffer(bytes.remaining());
      byte[] copy = new byte[bytes.remaining()];
      bytes.get(copy);
      frame.appendBytes(copy);
      onClientSide(this, () -> {
        if (finished || client.isClosed()) {
          return;
        }
        if (frame.length() > 0 && frame.getByte(0) == STATUS) {
          statusSent = true;
        }
        client.writeBinaryMessage(frame);
        if (client.writeQueueFull()) {
          client.drainHandler(d -> ws.request());
        } else {
          ws.request();
        }
      });
    }

    @Override
    public void onMessage(io.fabric8.kubernetes.client.http.WebSocket ws, String text) {
      onClientSide(this, () -> {
        if (!finished && !client.isClosed()) {
          client.writeTextMessage(text);
        }
        ws.request();
      });
    }

    @Override
    public void onClose(io.fabric8.kubernetes.client.http.WebSocket ws, int code, String reason) {
      onClientSide(this, () -> {
        if (!statusSent) {
          fail("member cluster " + target.cluster() + " closed the exec stream before the command's exit status"
              + (reason == null || reason.isEmpty() ? "" : " (" + reason + ")"));
        } else {
          finish();
        }
      });
    }

    @Override
    public void onError(io.fabric8.kubernetes.client.http.WebSocket ws, Throwable error) {
      log.debug("exec on member {} ({}): {}", target.cluster(), protocol, error.toString());
      onClientSide(this, () -> fail("member cluster " + target.cluster() + ": exec stream failed: " + describe(error)));
    }
  }

  /** Ends the session with a Failure status, unless a status already went out. */
  private void fail(String message) {
    if (!statusSent && !finished && !client.isClosed()) {
      statusSent = true;
      client.writeBinaryMessage(status("Failure", message));
    }
    finish();
  }

  private void finish() {
    if (finished) {
      return;
    }
    finished = true;
    if (!client.isClosed()) {
      client.close((short) 1000);
    }
    io.fabric8.kubernetes.client.http.WebSocket ws = member;
    if (ws != null) {
      ws.sendClose(1000, null);
    }
  }

  static Buffer status(String status, String message) {
    StringBuilder json = new StringBuilder("{\"metadata\":{},\"status\":\"").append(status).append('"');
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
