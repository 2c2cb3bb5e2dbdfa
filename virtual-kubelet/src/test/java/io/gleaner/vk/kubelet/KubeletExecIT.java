package io.gleaner.vk.kubelet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedApiServer;
import io.gleaner.sim.apiserver.ServerExtensions;
import io.gleaner.sim.kubelet.SimExec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code /exec} on the kubelet API, relayed frame by frame to the member pod's {@code pods/exec} on
 * a simulated member API server: stdout and stderr arrive whole and in order with the exit status
 * last, over both channel protocols; stdin and its v5 close reach the member; a member that cannot
 * be reached or refuses is a Failure status naming it. The last case is the whole path a user
 * takes: the real {@code kubectl exec} against the metadata cluster, whose API server relays to the
 * virtual node's kubelet endpoint, which relays to the member.
 */
class KubeletExecIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SCRIPT = "echo line 1; echo warning >&2; echo line 2; exit 3";

  private SimRuntime runtime;
  private SimulatedApiServer metaServer;
  private SimulatedApiServer memberServer;
  private KubernetesClient meta;
  private KubernetesClient member;
  private KubeletServer kubelet;
  private WebSocketClient ws;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  @TempDir Path dir;

  /** The member runs exec'd commands in the simulator's shell. */
  private static final ServerExtensions MEMBER =
      new ServerExtensions() {
        @Override
        public Map<String, String> nodeUsage(JsonNode node) {
          return null;
        }

        @Override
        public Map<String, String> podUsage(JsonNode pod) {
          return null;
        }

        @Override
        public String logs(JsonNode pod, String container, LogOptions options) {
          return "";
        }

        @Override
        public ExecResult exec(JsonNode pod, String container, List<String> command, String stdin) {
          return SimExec.run(pod, container, command, Clock.systemUTC().instant(), stdin);
        }
      };

  @BeforeEach
  void setUp() {
    runtime = SimRuntime.create();
    Clock clock = Clock.systemUTC();
    metaServer = new SimulatedApiServer("meta", runtime, clock, ServerExtensions.NONE);
    memberServer = new SimulatedApiServer("m1", runtime, clock, MEMBER);
    meta = metaServer.newClient();
    member = memberServer.newClient();
    running(member, "gleaner-team-a", "gl-abc", "n1");
    KubeletBackend backend =
        new OnePodBackend(
            "team-a", "job-1", new KubeletBackend.Target("m1", member, "gleaner-team-a", "gl-abc"));
    kubelet =
        new KubeletServer(
            runtime.vertx(),
            backend,
            KubeletAuth.anonymous("gleaner"),
            clock,
            new KubeletMetrics(registry));
    kubelet.start(
        "127.0.0.1",
        0,
        SelfSignedCertificate.generate("gleaner", "127.0.0.1", clock, Duration.ofDays(1)));
    ws =
        runtime
            .vertx()
            .createWebSocketClient(
                new WebSocketClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false));
  }

  @AfterEach
  void tearDown() {
    ws.close();
    kubelet.close();
    metaServer.close();
    memberServer.close();
    runtime.close();
  }

  private static void running(KubernetesClient client, String namespace, String name, String node) {
    client
        .namespaces()
        .resource(
            new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                .withNewMetadata()
                .withName(namespace)
                .endMetadata()
                .build())
        .createOr(n -> n.update());
    Pod pod =
        client
            .pods()
            .inNamespace(namespace)
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .withNamespace(namespace)
                    .endMetadata()
                    .withNewSpec()
                    .withNodeName(node)
                    .addNewContainer()
                    .withName("main")
                    .withImage("busybox")
                    .endContainer()
                    .endSpec()
                    .build())
            .create();
    pod.setStatus(
        new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Running").build());
    client.pods().inNamespace(namespace).resource(pod).updateStatus();
  }

  /**
   * One exec session straight to the kubelet API: every frame in arrival order, until the socket
   * closes.
   */
  private List<byte[]> exec(String protocol, String query, List<Buffer> input) {
    List<byte[]> frames = new CopyOnWriteArrayList<>();
    List<Object> ended = new CopyOnWriteArrayList<>();
    ws.connect(
            new WebSocketConnectOptions()
                .setHost("127.0.0.1")
                .setPort(kubelet.port())
                .setSsl(true)
                .setURI("/exec/team-a/job-1/main?" + query)
                .setSubProtocols(List.of(protocol)))
        .onSuccess(
            socket -> {
              assertThat(socket.subProtocol()).isEqualTo(protocol);
              socket.binaryMessageHandler(b -> frames.add(b.getBytes()));
              socket.closeHandler(v -> ended.add(v == null ? "closed" : v));
              input.forEach(socket::writeBinaryMessage);
            })
        .onFailure(ended::add);
    await().atMost(Duration.ofSeconds(20)).until(() -> !ended.isEmpty());
    assertThat(ended.get(0)).isEqualTo("closed");
    return frames;
  }

  private static String channel(List<byte[]> frames, int channel) {
    return frames.stream()
        .filter(f -> f.length > 0 && f[0] == channel)
        .map(f -> new String(f, 1, f.length - 1, StandardCharsets.UTF_8))
        .reduce("", String::concat);
  }

  private static JsonNode status(List<byte[]> frames) throws Exception {
    assertThat(frames).as("frames").isNotEmpty();
    byte[] last = frames.get(frames.size() - 1);
    assertThat(last[0]).as("the status is the last frame").isEqualTo((byte) 3);
    return JSON.readTree(new String(last, 1, last.length - 1, StandardCharsets.UTF_8));
  }

  private static String query(String script) {
    return "command=sh&command=-c&command="
        + java.net.URLEncoder.encode(script, StandardCharsets.UTF_8)
        + "&output=1&error=1";
  }

  @ParameterizedTest
  @ValueSource(strings = {"v5.channel.k8s.io", "v4.channel.k8s.io"})
  void outputArrivesWholeAndInOrderBeforeTheExitStatus(String protocol) throws Exception {
    // the member writes each line as its own message right before the status: any reordering or
    // loss shows
    for (int session = 0; session < 10; session++) {
      List<byte[]> frames = exec(protocol, query(SCRIPT), List.of());
      assertThat(channel(frames, 1)).isEqualTo("line 1\nline 2\n");
      assertThat(channel(frames, 2)).isEqualTo("warning\n");
      assertThat(frames.stream().map(f -> f[0]).toList())
          .containsExactly((byte) 1, (byte) 2, (byte) 1, (byte) 3);
      JsonNode s = status(frames);
      assertThat(s.path("status").asText()).isEqualTo("Failure");
      assertThat(s.path("reason").asText()).isEqualTo("NonZeroExitCode");
      assertThat(s.path("details").path("causes").get(0).path("message").asText()).isEqualTo("3");
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> sessions("m1", "exit_nonzero") == 10);
  }

  private double sessions(String cluster, String outcome) {
    var c =
        registry
            .find(KubeletMetrics.EXEC_SESSIONS)
            .tag("cluster", cluster)
            .tag("outcome", outcome)
            .counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void aSuccessfulCommandEndsWithSuccess() throws Exception {
    List<byte[]> frames = exec("v5.channel.k8s.io", "command=hostname&output=1&error=1", List.of());
    assertThat(channel(frames, 1)).isEqualTo("gl-abc\n");
    assertThat(status(frames).path("status").asText()).isEqualTo("Success");
  }

  @Test
  void aProgramThatFailsToStartEndsAtOnceWithTheMembersMessage() throws Exception {
    // the member answers with nothing but a status and closes in the same breath: the relay must be
    // listening
    for (int session = 0; session < 10; session++) {
      long start = System.nanoTime();
      List<byte[]> frames =
          exec("v5.channel.k8s.io", "command=python3&command=train.py&output=1&error=1", List.of());
      JsonNode s = status(frames);
      assertThat(s.path("status").asText()).isEqualTo("Failure");
      assertThat(s.path("message").asText())
          .contains("exec: \"python3\": executable file not found in $PATH");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }
  }

  @Test
  void stdinAndItsCloseReachTheMember() throws Exception {
    List<Buffer> input =
        List.of(
            Buffer.buffer().appendByte((byte) 0).appendString("first\n"),
            Buffer.buffer().appendByte((byte) 0).appendString("second\n"),
            Buffer.buffer().appendByte((byte) 255).appendByte((byte) 0));
    List<byte[]> frames = exec("v5.channel.k8s.io", "command=cat&input=1&output=1&error=1", input);
    assertThat(channel(frames, 1)).isEqualTo("first\nsecond\n");
    assertThat(status(frames).path("status").asText()).isEqualTo("Success");
  }

  @Test
  void aMemberThatDoesNotAnswerIsAFailureNamingIt() throws Exception {
    memberServer.setReachable(false);
    List<byte[]> frames = exec("v5.channel.k8s.io", query("echo hi"), List.of());
    JsonNode s = status(frames);
    assertThat(s.path("status").asText()).isEqualTo("Failure");
    assertThat(s.path("message").asText()).contains("member cluster m1", "gleaner-team-a/gl-abc");
    assertThat(channel(frames, 1)).isEmpty();
    await().atMost(Duration.ofSeconds(5)).until(() -> sessions("m1", "relay_failure") == 1);
  }

  @Test
  void aMemberThatRefusesTheExecIsAFailureNamingIt() throws Exception {
    // the member pod is no longer running: its API server refuses the upgrade (400)
    Pod pod = member.pods().inNamespace("gleaner-team-a").withName("gl-abc").get();
    pod.getStatus().setPhase("Succeeded");
    member.pods().inNamespace("gleaner-team-a").resource(pod).updateStatus();
    JsonNode s = status(exec("v4.channel.k8s.io", query("echo hi"), List.of()));
    assertThat(s.path("status").asText()).isEqualTo("Failure");
    assertThat(s.path("message").asText()).contains("member cluster m1");
  }

  @Test
  void aMemberThatClosesWithoutAStatusIsAFailureAfterItsOutput() throws Exception {
    // a member API server that writes one line and hangs up without the status frame
    io.vertx.core.http.HttpServer bare =
        runtime
            .vertx()
            .createHttpServer(
                new io.vertx.core.http.HttpServerOptions()
                    .setHost("127.0.0.1")
                    .setPort(0)
                    .setWebSocketSubProtocols(List.of("v5.channel.k8s.io", "v4.channel.k8s.io")));
    bare.webSocketHandler(
        s -> {
          s.writeBinaryMessage(Buffer.buffer().appendByte((byte) 1).appendString("partial\n"));
          s.close((short) 1000);
        });
    bare.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    try (KubernetesClient abrupt =
        new io.fabric8.kubernetes.client.KubernetesClientBuilder()
            .withConfig(
                new io.fabric8.kubernetes.client.ConfigBuilder(
                        io.fabric8.kubernetes.client.Config.empty())
                    .withMasterUrl("http://127.0.0.1:" + bare.actualPort())
                    .build())
            .build()) {
      kubelet.close();
      kubelet =
          new KubeletServer(
              runtime.vertx(),
              new OnePodBackend(
                  null, null, new KubeletBackend.Target("m9", abrupt, "gleaner-team-a", "gl-abc")),
              KubeletAuth.anonymous("gleaner"),
              Clock.systemUTC(),
              new KubeletMetrics(registry));
      kubelet.start(
          "127.0.0.1",
          0,
          SelfSignedCertificate.generate(
              "gleaner", "127.0.0.1", Clock.systemUTC(), Duration.ofDays(1)));
      List<byte[]> frames = exec("v5.channel.k8s.io", query("echo partial"), List.of());
      assertThat(channel(frames, 1)).isEqualTo("partial\n");
      JsonNode s = status(frames);
      assertThat(s.path("status").asText()).isEqualTo("Failure");
      assertThat(s.path("message").asText())
          .contains("member cluster m9", "closed the exec stream before the command's exit status");
      await().atMost(Duration.ofSeconds(5)).until(() -> sessions("m9", "relay_failure") == 1);
    } finally {
      bare.close();
    }
  }

  @Test
  void execOfAPodWithoutMemberPodIsRefused() {
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    ws.connect(
            new WebSocketConnectOptions()
                .setHost("127.0.0.1")
                .setPort(kubelet.port())
                .setSsl(true)
                .setURI("/exec/team-a/nope/main?command=ls&output=1")
                .setSubProtocols(List.of("v5.channel.k8s.io")))
        .onFailure(failures::add);
    await().atMost(Duration.ofSeconds(20)).until(() -> !failures.isEmpty());
    assertThat(failures.get(0).getMessage()).contains("404");
  }

  // --- the whole path: kubectl -> metadata API server -> virtual node's kubelet API -> member API
  // server

  @Test
  void kubectlExecOnAPodOfTheVirtualNodeRunsInTheMemberPod() throws Exception {
    Assumptions.assumeTrue(
        onPath("kubectl"), "kubectl is not on the PATH: skipping the real-kubectl exec");
    meta.nodes()
        .resource(
            new NodeBuilder()
                .withNewMetadata()
                .withName("gleaner")
                .addToLabels("type", "virtual-kubelet")
                .endMetadata()
                .withNewStatus()
                .addNewAddress()
                .withType("InternalIP")
                .withAddress("127.0.0.1")
                .endAddress()
                .withNewDaemonEndpoints()
                .withNewKubeletEndpoint()
                .withPort(kubelet.port())
                .endKubeletEndpoint()
                .endDaemonEndpoints()
                .endStatus()
                .build())
        .create();
    running(meta, "team-a", "job-1", "gleaner");
    Path kubeconfig = dir.resolve("meta.kubeconfig");
    Files.writeString(kubeconfig, metaServer.kubeconfig());

    Kubectl r =
        kubectl(
            kubeconfig,
            null,
            "-n",
            "team-a",
            "exec",
            "job-1",
            "--",
            "sh",
            "-c",
            "echo running in $HOSTNAME; echo to stderr >&2; exit 4");
    assertThat(r.code()).as(r.out()).isEqualTo(4);
    assertThat(r.out()).contains("running in gl-abc\n", "to stderr\n");

    Kubectl in =
        kubectl(
            kubeconfig, "through three hops\n", "-n", "team-a", "exec", "-i", "job-1", "--", "cat");
    assertThat(in.code()).as(in.out()).isZero();
    assertThat(in.out()).isEqualTo("through three hops\n");
  }

  private record Kubectl(int code, String out) {}

  private static Kubectl kubectl(Path kubeconfig, String stdin, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
    cmd.addAll(List.of(args));
    // output to a file: a kubectl that hangs must not hang the reader too
    File output = File.createTempFile("kubectl", ".out");
    output.deleteOnExit();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output).start();
    try (var out = p.getOutputStream()) {
      if (stdin != null) {
        out.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    }
    boolean done = p.waitFor(60, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    String text = Files.readString(output.toPath());
    if (!done) {
      throw new AssertionError("kubectl " + String.join(" ", args) + " timed out: " + text);
    }
    return new Kubectl(p.exitValue(), text);
  }

  private static boolean onPath(String program) {
    for (String p : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (new File(p, program).canExecute()) {
        return true;
      }
    }
    return false;
  }
}
