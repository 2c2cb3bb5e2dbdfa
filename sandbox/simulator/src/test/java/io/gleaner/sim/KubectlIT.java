package io.gleaner.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code kubectl} against a simulated cluster: get (server-side tables, -o wide, -A),
 * describe node, apply (create and configure through the OpenAPI field-validation check and
 * strategic merge), logs, top, exec. Skipped, with the reason, when no kubectl is on the PATH.
 */
class KubectlIT {
  static SimulatedCluster cluster;
  static Path kubeconfig;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws IOException {
    String kubectl = findKubectl();
    Assumptions.assumeTrue(
        kubectl != null, "kubectl is not on the PATH: skipping the real-kubectl checks");
    cluster =
        SimulatedCluster.builder("kubectl-it")
            .clock(Clock.systemUTC())
            .podStartDelay(Duration.ZERO)
            .nodes(NodeShape.of(2, "8", "32Gi"))
            .build();
    kubeconfig = dir.resolve("kubectl-it.kubeconfig");
    Files.writeString(kubeconfig, cluster.kubeconfig());
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static String findKubectl() {
    for (String p : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      File f = new File(p, "kubectl");
      if (f.canExecute()) {
        return f.getAbsolutePath();
      }
    }
    return null;
  }

  record Result(int code, String out) {}

  static Result kubectl(String... args) throws Exception {
    return kubectlWithInput(null, args);
  }

  static Result kubectlWithInput(String stdin, String... args) throws Exception {
    return kubectlAs(kubeconfig, stdin, args);
  }

  static Result kubectlAs(Path config, String stdin, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", config.toString()));
    cmd.addAll(List.of(args));
    // output to a file: a kubectl that hangs must not hang the reader too
    File output = File.createTempFile("kubectl", ".out");
    output.deleteOnExit();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output).start();
    try (var in = p.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    }
    boolean done = p.waitFor(60, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    String out = Files.readString(output.toPath());
    if (!done) {
      throw new AssertionError("kubectl " + String.join(" ", args) + " timed out: " + out);
    }
    return new Result(p.exitValue(), out);
  }

  @Test
  void getDescribeApplyLogsTop() throws Exception {
    Result nodes = kubectl("get", "nodes", "-o", "wide");
    assertThat(nodes.code()).as(nodes.out()).isZero();
    assertThat(nodes.out()).contains("kubectl-it-node-0", "Ready", "INTERNAL-IP", "10.250.");

    Path pod = dir.resolve("pod.yaml");
    Files.writeString(
        pod,
        """
        apiVersion: v1
        kind: Pod
        metadata:
          name: hello
          labels: {app: hello}
        spec:
          containers:
          - name: main
            image: busybox
            resources:
              requests: {cpu: 500m, memory: 256Mi}
        """);
    Result created = kubectl("apply", "-f", pod.toString());
    assertThat(created.code()).as(created.out()).isZero();
    assertThat(created.out()).contains("pod/hello created");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                kubectl("get", "pods", "-A", "-o", "wide")
                    .out()
                    .matches("(?s).*default\\s+hello\\s+1/1\\s+Running.*kubectl-it-node-\\d.*"));

    Files.writeString(pod, Files.readString(pod).replace("app: hello", "app: hello2"));
    Result configured = kubectl("apply", "-f", pod.toString());
    assertThat(configured.out()).as(configured.out()).contains("pod/hello configured");
    assertThat(kubectl("get", "pod", "hello", "--show-labels").out()).contains("app=hello2");

    String node = kubectl("get", "pod", "hello", "-o", "jsonpath={.spec.nodeName}").out().trim();
    Result describe = kubectl("describe", "node", node);
    assertThat(describe.code()).as(describe.out()).isZero();
    assertThat(describe.out())
        .contains(
            "Name:               " + node,
            "topology.kubernetes.io/zone=",
            "Non-terminated Pods:",
            "hello",
            "Allocated resources:");

    Result logs = kubectl("logs", "hello", "--tail", "5");
    assertThat(logs.code()).as(logs.out()).isZero();
    assertThat(logs.out()).contains("starting main (image busybox)");

    Result top = kubectl("top", "node", node);
    assertThat(top.code()).as(top.out()).isZero();
    assertThat(top.out()).contains(node, "CPU(cores)");

    Result deleted = kubectl("delete", "pod", "hello", "--grace-period=1");
    assertThat(deleted.out()).contains("pod \"hello\" deleted");
  }

  @Test
  void aGatedPodShowsSchedulingGatedAndRunsOnceItsGatesAreRemoved() throws Exception {
    Path pod = dir.resolve("gated.yaml");
    Files.writeString(
        pod,
        """
        apiVersion: v1
        kind: Pod
        metadata:
          name: gated
        spec:
          schedulingGates:
          - name: example.com/quota
          containers:
          - name: main
            image: busybox
        """);
    Result created = kubectl("create", "-f", pod.toString());
    assertThat(created.code()).as(created.out()).isZero();
    Result get = kubectl("get", "pod", "gated");
    assertThat(get.out()).as(get.out()).matches("(?s).*gated\\s+0/1\\s+SchedulingGated\\s.*");
    Result added =
        kubectl(
            "patch",
            "pod",
            "gated",
            "--type=json",
            "-p",
            "[{\"op\":\"add\",\"path\":\"/spec/schedulingGates/-\",\"value\":{\"name\":\"x\"}}]");
    assertThat(added.code()).isNotZero();
    assertThat(added.out())
        .contains(
            "spec.schedulingGates[1].name: Forbidden: only deletion is allowed, but found new"
                + " scheduling gate 'x'");
    Result removed =
        kubectl(
            "patch",
            "pod",
            "gated",
            "--type=json",
            "-p",
            "[{\"op\":\"remove\",\"path\":\"/spec/schedulingGates\"}]");
    assertThat(removed.code()).as(removed.out()).isZero();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> kubectl("get", "pod", "gated").out().contains("Running"));
    kubectl("delete", "pod", "gated", "--grace-period=1");
  }

  /**
   * Pods waiting for their Secrets, as kubectl shows them: one whose volume's Secret is missing is
   * ContainerCreating with the kubelet's FailedMount event and runs once the Secret exists (at the
   * kubelet's next mount attempt, within seconds); one whose env Secret is missing waits in
   * CreateContainerConfigError with the kubelet's Failed event.
   */
  @Test
  void aPodWaitingForItsSecretsShowsTheKubeletsStatesAndEvents() throws Exception {
    Path pod = dir.resolve("needs-secret.yaml");
    Files.writeString(
        pod,
        """
        apiVersion: v1
        kind: Pod
        metadata:
          name: needs-secret
        spec:
          volumes:
          - name: creds
            secret: {secretName: db-creds}
          containers:
          - name: main
            image: busybox
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: needs-token
        spec:
          containers:
          - name: main
            image: busybox
            env:
            - name: TOKEN
              valueFrom:
                secretKeyRef: {name: api-token, key: token}
        """);
    Result created = kubectl("create", "-f", pod.toString());
    assertThat(created.code()).as(created.out()).isZero();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                kubectl("get", "pod", "needs-secret")
                    .out()
                    .matches("(?s).*needs-secret\\s+0/1\\s+ContainerCreating\\s.*"));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                kubectl("describe", "pod", "needs-secret")
                    .out()
                    .matches(
                        "(?s).*Warning\\s+FailedMount\\s+.*kubelet\\s+MountVolume.SetUp failed for"
                            + " volume \"creds\" : secret \"db-creds\" not found.*"));
    Result describe = kubectl("describe", "pod", "needs-secret");
    assertThat(describe.out())
        .as(describe.out())
        .containsPattern("Status:\\s+Pending")
        .containsPattern("State:\\s+Waiting\\s+Reason:\\s+ContainerCreating");

    Result secret =
        kubectl("create", "secret", "generic", "db-creds", "--from-literal=password=s3cret");
    assertThat(secret.code()).as(secret.out()).isZero();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                kubectl("get", "pod", "needs-secret")
                    .out()
                    .matches("(?s).*needs-secret\\s+1/1\\s+Running\\s.*"));

    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                kubectl("get", "pod", "needs-token")
                    .out()
                    .matches("(?s).*needs-token\\s+0/1\\s+CreateContainerConfigError\\s.*"));
    describe = kubectl("describe", "pod", "needs-token");
    assertThat(describe.out())
        .as(describe.out())
        .containsPattern("State:\\s+Waiting\\s+Reason:\\s+CreateContainerConfigError")
        .containsPattern("Warning\\s+Failed\\s+.*kubelet\\s+Error: secret \"api-token\" not found");
    kubectl("delete", "pod", "needs-secret", "needs-token", "--grace-period=1");
  }

  /**
   * kubectl's patches made conditional on a stale {@code metadata.resourceVersion} fail as against
   * kube-apiserver: {@code Error from server (Conflict)} with its message, and the node unchanged.
   */
  @Test
  void aPatchOnAStaleResourceVersionIsRefusedWithConflict() throws Exception {
    String node = cluster.nodeNames().stream().sorted().findFirst().orElseThrow();
    Result before = kubectl("get", "node", node, "-o", "jsonpath={.metadata.resourceVersion}");
    assertThat(before.code()).as(before.out()).isZero();
    String stale = before.out().trim();
    Result changed = kubectl("label", "node", node, "kubectl-it/changed=yes");
    assertThat(changed.code()).as(changed.out()).isZero();
    String merge =
        "{\"metadata\":{\"resourceVersion\":\"%s\",\"labels\":{\"kubectl-it/claim\":\"b\"}}}"
            .formatted(stale);
    String json =
        ("[{\"op\":\"replace\",\"path\":\"/metadata/resourceVersion\",\"value\":\"%s\"},"
                + "{\"op\":\"add\",\"path\":\"/metadata/labels/kubectl-it~1claim\",\"value\":\"b\"}]")
            .formatted(stale);
    for (String[] typed :
        List.of(
            new String[] {"--type=merge", merge},
            new String[] {"--type=strategic", merge},
            new String[] {"--type=json", json})) {
      Result refused = kubectl("patch", "node", node, typed[0], "-p", typed[1]);
      assertThat(refused.code()).as(typed[0] + ": " + refused.out()).isNotZero();
      assertThat(refused.out())
          .as(typed[0])
          .contains(
              "Error from server (Conflict): Operation cannot be fulfilled on nodes \""
                  + node
                  + "\": the object has been modified; please apply your changes to the latest"
                  + " version and try again");
    }
    Result labels = kubectl("get", "node", node, "-o", "jsonpath={.metadata.labels}");
    assertThat(labels.out()).contains("kubectl-it/changed").doesNotContain("kubectl-it/claim");
    kubectl("label", "node", node, "kubectl-it/changed-");
  }

  @Test
  void execRunsCommandsInThePodOverWebSockets() throws Exception {
    Path pod = dir.resolve("exec-pod.yaml");
    Files.writeString(
        pod,
        """
        apiVersion: v1
        kind: Pod
        metadata:
          name: shell
        spec:
          containers:
          - name: main
            image: busybox
            env: [{name: TEAM, value: ml-batch}]
            resources:
              requests: {cpu: "2", memory: 256Mi}
        """);
    assertThat(kubectl("apply", "-f", pod.toString()).code()).isZero();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> kubectl("get", "pod", "shell").out().contains("Running"));

    Result echo = kubectl("exec", "shell", "--", "echo", "hello", "world");
    assertThat(echo.code()).as(echo.out()).isZero();
    assertThat(echo.out()).isEqualTo("hello world\n");

    Result script =
        kubectl(
            "exec", "shell", "--", "sh", "-c", "echo team=$TEAM; hostname; echo oops >&2; exit 3");
    assertThat(script.code()).as(script.out()).isEqualTo(3);
    // kubectl writes stdout and stderr from separate goroutines: only each stream keeps its order
    assertThat(script.out()).contains("team=ml-batch\n", "shell\n", "oops\n");

    Result stdin = kubectlWithInput("piped line\n", "exec", "-i", "shell", "--", "cat");
    assertThat(stdin.code()).as(stdin.out()).isZero();
    assertThat(stdin.out()).isEqualTo("piped line\n");

    Result missing = kubectl("exec", "shell", "--", "no-such-tool");
    assertThat(missing.code()).isNotZero();
    assertThat(missing.out()).contains("executable file not found in $PATH");

    Result badContainer = kubectl("exec", "shell", "-c", "sidecar", "--", "ls");
    assertThat(badContainer.code()).isNotZero();
    assertThat(badContainer.out()).contains("container sidecar is not valid for pod shell");

    kubectl("delete", "pod", "shell", "--grace-period=1");
  }

  @Test
  void aServiceAccountTokenKubeconfigIsHeldToRbac() throws Exception {
    assertThat(kubectl("create", "namespace", "rbac-it").code()).isZero();
    assertThat(kubectl("-n", "rbac-it", "create", "serviceaccount", "broker").code()).isZero();
    Result token = kubectl("-n", "rbac-it", "create", "token", "broker");
    assertThat(token.code()).as(token.out()).isZero();
    Path broker = dir.resolve("broker.kubeconfig");
    Files.writeString(broker, cluster.apiServer().kubeconfigForToken(token.out().trim()));

    Result whoami = kubectlAs(broker, null, "auth", "whoami");
    assertThat(whoami.code()).as(whoami.out()).isZero();
    assertThat(whoami.out())
        .contains("system:serviceaccount:rbac-it:broker", "system:serviceaccounts:rbac-it");

    Result no = kubectlAs(broker, null, "auth", "can-i", "list", "pods", "-n", "rbac-it");
    assertThat(no.code()).as(no.out()).isEqualTo(1);
    assertThat(no.out()).isEqualTo("no\n");
    Result nodes = kubectlAs(broker, null, "get", "nodes");
    assertThat(nodes.code()).isEqualTo(1);
    assertThat(nodes.out())
        .contains(
            "Error from server (Forbidden): nodes is forbidden: User"
                + " \"system:serviceaccount:rbac-it:broker\" cannot list resource \"nodes\" in API"
                + " group \"\" at the cluster scope");

    assertThat(
            kubectl(
                    "-n",
                    "rbac-it",
                    "create",
                    "role",
                    "pod-reader",
                    "--verb=get,list,watch",
                    "--resource=pods")
                .code())
        .isZero();
    assertThat(
            kubectl(
                    "-n",
                    "rbac-it",
                    "create",
                    "rolebinding",
                    "broker-reads",
                    "--role=pod-reader",
                    "--serviceaccount=rbac-it:broker")
                .code())
        .isZero();
    Result yes = kubectlAs(broker, null, "auth", "can-i", "list", "pods", "-n", "rbac-it");
    assertThat(yes.code()).as(yes.out()).isZero();
    assertThat(yes.out()).isEqualTo("yes\n");
    Result pods = kubectlAs(broker, null, "get", "pods", "-n", "rbac-it");
    assertThat(pods.code()).as(pods.out()).isZero();
    assertThat(pods.out()).contains("No resources found in rbac-it namespace.");
    Result exec =
        kubectlAs(
            broker, null, "auth", "can-i", "create", "pods", "--subresource=exec", "-n", "rbac-it");
    assertThat(exec.out()).isEqualTo("no\n");
    Result asBroker =
        kubectl(
            "auth",
            "can-i",
            "watch",
            "pods",
            "-n",
            "rbac-it",
            "--as=system:serviceaccount:rbac-it:broker");
    assertThat(asBroker.out()).as("admin impersonating the account").isEqualTo("yes\n");
    Result list = kubectlAs(broker, null, "auth", "can-i", "--list", "-n", "rbac-it");
    assertThat(list.code()).as(list.out()).isZero();
    assertThat(list.out()).containsPattern("pods\\s+\\[\\]\\s+\\[\\]\\s+\\[get list watch\\]");
  }
}
