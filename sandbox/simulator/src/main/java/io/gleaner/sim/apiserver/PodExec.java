package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code pods/exec} of the simulated API server, over a WebSocket with the Kubernetes channel
 * protocols ({@code v4.channel.k8s.io}, {@code v5.channel.k8s.io}: each binary message starts with
 * its stream, 0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize, 255 close in v5), as {@code kubectl
 * exec} speaks it.
 *
 * <p>A pod on a simulated node runs the command in {@link ServerExtensions#exec} (one message per
 * write, then the status, then a normal close). A pod on a node the simulator does not run (a
 * virtual kubelet) is relayed by {@link KubeletProxy}, message by message in both directions, to
 * {@code /exec/...} on that node's kubelet endpoint, as the real API server does.
 *
 * <p>Errors before the upgrade are answered as the API server answers them, with a Status and no
 * upgrade: an unknown pod (404), a missing or unknown container, no command, a pod that is not
 * running (400).
 */
final class PodExec {
  private static final ObjectMapper MAPPER = Serialization.jsonMapper();
  private static final byte STATUS = 3;
  private static final byte CLOSE = (byte) 255;
  private static final List<String> SHELLS = List.of("sh", "bash", "/bin/sh", "/bin/bash");

  /**
   * How long after the upgrade the first output frames are held. kubectl before 1.33 starts reading
   * frames before it has created its stdout/stderr/error streams and drops frames of streams it
   * does not know yet ("Unknown stream id 1, discarding message", then "closed all streams" and
   * exit 1); kube-apiserver dials the kubelet only after the upgrade, so output comes later there.
   * Frames are held, never dropped.
   */
  static final long FIRST_FRAMES_DELAY_MS = 20;

  private final Vertx vertx;
  private final ObjectStore store;
  private final ServerExtensions extensions;
  private final KubeletProxy kubelets;

  /** {@code kubelets} relays the sessions of pods on nodes the simulator does not run. */
  PodExec(Vertx vertx, ObjectStore store, ServerExtensions extensions, KubeletProxy kubelets) {
    this.vertx = vertx;
    this.store = store;
    this.extensions = extensions;
    this.kubelets = kubelets;
  }

  /** The parsed exec query. */
  record Options(
      List<String> command,
      String container,
      boolean stdin,
      boolean stdout,
      boolean stderr,
      boolean tty) {
    static Options of(MultiMap q, String container) {
      return new Options(
          q.getAll("command"),
          container,
          on(q.get("stdin")),
          on(q.get("stdout")),
          on(q.get("stderr")),
          on(q.get("tty")));
    }

    private static boolean on(String v) {
      return v != null && (v.equalsIgnoreCase("true") || v.equals("1"));
    }
  }

  /** The request as admission sees it: a PodExecOptions built from the query. */
  static ObjectNode options(MultiMap q) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("kind", "PodExecOptions").put("apiVersion", "v1");
    Options opts = Options.of(q, q.get("container"));
    o.put("stdin", opts.stdin())
        .put("stdout", opts.stdout())
        .put("stderr", opts.stderr())
        .put("tty", opts.tty());
    if (opts.container() != null) {
      o.put("container", opts.container());
    }
    opts.command().forEach(o.putArray("command")::add);
    return o;
  }

  void handle(HttpServerRequest req, String namespace, String name, String container) {
    String upgrade = req.getHeader("Upgrade");
    if (upgrade == null || !upgrade.equalsIgnoreCase("websocket")) {
      throw ApiException.badRequest("Upgrade request required");
    }
    ObjectNode pod = store.require(ResourceTypes.PODS, namespace, name);
    Options opts = Options.of(req.params(), container);
    if (opts.command().isEmpty()) {
      throw ApiException.badRequest("you must specify at least one command for the container");
    }
    if (!opts.stdin() && !opts.stdout() && !opts.stderr()) {
      throw ApiException.badRequest("you must specify at least 1 of stdin, stdout, stderr");
    }
    String phase = pod.path("status").path("phase").asText("Pending");
    String nodeName = pod.path("spec").path("nodeName").asText("");
    if (!"Running".equals(phase) || nodeName.isEmpty()) {
      throw ApiException.badRequest("container not found (\"" + container + "\")");
    }
    // null: the simulator does not run this pod's node (a virtual kubelet does)
    if (extensions.exec(pod, container, List.of("true"), "") == null) {
      kubelets.exec(req, pod, nodeName, opts);
      return;
    }
    req.toWebSocket()
        .onSuccess(
            ws -> {
              ws.pause();
              vertx.setTimer(
                  FIRST_FRAMES_DELAY_MS,
                  id -> {
                    runLocally(ws, pod, opts);
                    ws.resume();
                  });
            });
  }

  // --- a pod on a simulated node

  private void runLocally(ServerWebSocket ws, JsonNode pod, Options opts) {
    boolean v5 = "v5.channel.k8s.io".equals(ws.subProtocol());
    boolean interactive =
        opts.stdin() && SHELLS.contains(opts.command().get(0)) && opts.command().size() == 1;
    if (interactive) {
      new InteractiveShell(ws, pod, opts).start();
      return;
    }
    if (!opts.stdin()) {
      finish(ws, opts, extensions.exec(pod, opts.container(), opts.command(), ""));
      return;
    }
    // the command reads its input until the client closes stdin (v5); v4 cannot say so, so it gets
    // none
    if (!v5) {
      finish(ws, opts, extensions.exec(pod, opts.container(), opts.command(), ""));
      return;
    }
    Buffer input = Buffer.buffer();
    boolean[] done = {false};
    ws.binaryMessageHandler(
        m -> {
          if (m.length() == 0 || done[0]) {
            return;
          }
          if (m.getByte(0) == 0) {
            input.appendBuffer(m.getBuffer(1, m.length()));
          } else if (m.getByte(0) == CLOSE && m.length() > 1 && m.getByte(1) == 0) {
            done[0] = true;
            finish(
                ws,
                opts,
                extensions.exec(
                    pod, opts.container(), opts.command(), input.toString(StandardCharsets.UTF_8)));
          }
        });
  }

  private static void write(ServerWebSocket ws, Options opts, ServerExtensions.ExecOutput o) {
    int channel = opts.tty() ? 1 : o.channel();
    if (channel == 1 && !opts.stdout() || channel == 2 && !opts.stderr() || ws.isClosed()) {
      return;
    }
    ws.writeBinaryMessage(Buffer.buffer().appendByte((byte) channel).appendString(o.text()));
  }

  private static void finish(ServerWebSocket ws, Options opts, ServerExtensions.ExecResult r) {
    r.output().forEach(o -> write(ws, opts, o));
    if (!ws.isClosed()) {
      ws.writeBinaryMessage(
          Buffer.buffer().appendByte(STATUS).appendString(status(opts, r).toString()));
      ws.close((short) 1000);
    }
  }

  /** The status message the kubelet sends on stream 3 at the end of a session. */
  static ObjectNode status(Options opts, ServerExtensions.ExecResult r) {
    ObjectNode s = MAPPER.createObjectNode();
    s.putObject("metadata");
    if (r.startError() != null) {
      s.put("status", "Failure");
      s.put(
          "message",
          "Internal error occurred: error executing command in container: " + r.startError());
      s.put("reason", "InternalError");
      s.putObject("details")
          .putArray("causes")
          .addObject()
          .put("message", "error executing command in container: " + r.startError());
      s.put("code", 500);
    } else if (r.exitCode() != 0) {
      s.put("status", "Failure");
      s.put(
          "message",
          "command terminated with non-zero exit code: error executing command "
              + opts.command()
              + ", exit code "
              + r.exitCode());
      s.put("reason", "NonZeroExitCode");
      s.putObject("details")
          .putArray("causes")
          .addObject()
          .put("reason", "ExitCode")
          .put("message", Integer.toString(r.exitCode()));
    } else {
      s.put("status", "Success");
    }
    return s;
  }

  /**
   * {@code kubectl exec -i[t] pod -- sh}: runs each line it reads, with a prompt and echo on a TTY.
   */
  private final class InteractiveShell {
    private final ServerWebSocket ws;
    private final JsonNode pod;
    private final Options opts;
    private final StringBuilder line = new StringBuilder();
    private int lastStatus;

    InteractiveShell(ServerWebSocket ws, JsonNode pod, Options opts) {
      this.ws = ws;
      this.pod = pod;
      this.opts = opts;
    }

    void start() {
      prompt();
      ws.binaryMessageHandler(
          m -> {
            if (m.length() == 0 || ws.isClosed()) {
              return;
            }
            if (m.getByte(0) == CLOSE) {
              end(lastStatus);
              return;
            }
            if (m.getByte(0) != 0) {
              return; // resize
            }
            for (char c :
                m.getBuffer(1, m.length()).toString(StandardCharsets.UTF_8).toCharArray()) {
              if (ws.isClosed()) {
                return;
              }
              if (c == 4 && line.isEmpty()) { // Ctrl-D
                end(lastStatus);
                return;
              }
              if (c == '\r' || c == '\n') {
                echo("\r\n");
                runLine();
              } else if (c == 127 || c == 8) {
                if (!line.isEmpty()) {
                  line.setLength(line.length() - 1);
                  echo("\b \b");
                }
              } else {
                line.append(c);
                echo(String.valueOf(c));
              }
            }
          });
    }

    private void runLine() {
      String text = line.toString().strip();
      line.setLength(0);
      if (text.equals("exit") || text.startsWith("exit ")) {
        String[] w = text.split("\\s+");
        end(w.length > 1 ? parse(w[1]) : lastStatus);
        return;
      }
      if (!text.isEmpty()) {
        ServerExtensions.ExecResult r =
            extensions.exec(pod, opts.container(), List.of("sh", "-c", text), "");
        if (r == null) {
          r = ServerExtensions.ExecResult.notStarted("the pod left its node");
        }
        r.output()
            .forEach(
                o ->
                    write(
                        ws,
                        opts,
                        opts.tty()
                            ? new ServerExtensions.ExecOutput(
                                o.channel(), o.text().replace("\n", "\r\n"))
                            : o));
        lastStatus = r.startError() != null ? 126 : r.exitCode();
      }
      prompt();
    }

    private void prompt() {
      if (opts.tty()) {
        write(ws, opts, new ServerExtensions.ExecOutput(1, "/ # "));
      }
    }

    private void echo(String s) {
      if (opts.tty()) {
        write(ws, opts, new ServerExtensions.ExecOutput(1, s));
      }
    }

    private void end(int code) {
      finish(ws, opts, new ServerExtensions.ExecResult(List.of(), code, null));
    }

    private int parse(String s) {
      try {
        return Integer.parseInt(s) & 0xff;
      } catch (NumberFormatException e) {
        return 2;
      }
    }
  }
}
