package io.gleaner.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.gleaner.sandbox.install.Charts;
import io.gleaner.sandbox.install.HelmRelease;
import io.gleaner.sandbox.install.MemberRegistration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README's "Deploying" steps 1 and 3 and the sandbox's install are one sequence: the {@code
 * helm install} command lines, read from the README as a shell and helm read them, render with
 * helm-java, and the sandbox installs the same charts as the same releases in the same namespace
 * with the same values, but for the values named below with the reason. A README edit the sandbox
 * does not follow fails here (step 2 is run as written by {@link DeployingStepsIT}).
 */
class DeployingCommandsTest {
  /** Values of the README's step 3 the sandbox does not follow, and why. */
  static final Map<String, String> NOT_FOLLOWED =
      Map.of(
          "image.repository",
          "the sandbox runs each container's args in a JVM on its own class path, not an image",
          "image.tag",
          "the same: no image",
          "zookeeper.connect",
          "the sandbox's embedded ZooKeeper stands for the ensemble you operate",
          "broker.replicas",
          "no Service spreads calls over broker replicas on one host: every service dials broker-0's"
              + " port, so a second broker would take no calls (two replicas side by side:"
              + " ZkLedgerStoreIT)");

  /** Values only the sandbox sets, and why. */
  static final Map<String, String> SANDBOX_ONLY =
      Map.of(
          "brokerAddress",
          "processes share the host's network, where the broker Service's DNS name does not"
              + " resolve: the services dial the broker on 127.0.0.1",
          "broker.grpcPort",
          "the broker's gRPC port is a free port of the host (one sandbox per port)",
          "broker.config.offerTtl",
          "the offer TTL is on the accelerated clock: a minute of real time at any speed",
          "broker.config.gangTtl",
          "the gang reservation TTL is on the accelerated clock: two minutes of real time at any"
              + " speed",
          "broker.extraArgs",
          "the shared accelerated clock (clock.*), as for every service",
          "idleDetector.extraArgs",
          "the shared accelerated clock (skewed with --chaos clock-skew)",
          "descheduler.extraArgs",
          "the shared accelerated clock (skewed with --chaos clock-skew)",
          "virtualKubelet.extraArgs",
          "the shared accelerated clock; the cuttable broker link of --chaos"
              + " virtual-kubelet-broker-cut",
          "zookeeper.tls.caSecret",
          "the embedded ZooKeeper serves TLS with a CA of its own, in a Secret the sandbox creates as"
              + " the operator of an existing ensemble does (the bundled ensemble needs none)");

  private static Charts charts;
  private static HelmInstallLine member;
  private static HelmInstallLine gleaner;

  @BeforeAll
  static void readTheReadme() throws Exception {
    String readme = Readme.text();
    member = helmInstall(Readme.between(readme, "**1. Install `gleaner-member`", "**2. Register"));
    gleaner = helmInstall(Readme.between(readme, "**3. Install `gleaner`", "**4. Submit"));
    charts = Charts.fromClasspath();
  }

  @AfterAll
  static void close() {
    if (charts != null) {
      charts.close();
    }
  }

  @Test
  void theReadmesCommandLinesNameTheRepositorysChartsAndRenderWithHelmJava() throws Exception {
    for (HelmInstallLine line : List.of(member, gleaner)) {
      Path chart = Readme.root().resolve(line.chartPath());
      HelmRelease release = line.toRelease();
      assertThat(chart.resolve("Chart.yaml")).as(line.chartPath()).exists();
      assertThat(Files.readString(chart.resolve("Chart.yaml")))
          .contains("name: " + release.chart() + "\n");
      // the charts the sandbox renders are these files
      for (String file : List.of("Chart.yaml", "values.yaml", "values.schema.json")) {
        Path shipped = charts.chart(release.chart()).resolve(file);
        if (Files.exists(chart.resolve(file)) || Files.exists(shipped)) {
          assertThat(Files.readString(shipped))
              .as("the sandbox's %s/%s", release.chart(), file)
              .isEqualTo(Files.readString(chart.resolve(file)));
        }
      }
    }
    List<HasMetadata> memberObjects = charts.render(member.toRelease());
    assertThat(memberObjects)
        .as("the member chart's token Secret, which the install notes build the kubeconfig from")
        .anyMatch(
            o ->
                o instanceof Secret s && "kubernetes.io/service-account-token".equals(s.getType()));
    List<HasMetadata> objects = charts.render(gleaner.toRelease());
    List<Deployment> deployments =
        objects.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast).toList();
    assertThat(deployments).hasSize(4);
    // the README's values reach what is rendered
    Object repository = gleaner.sets().get("image.repository");
    assertThat(deployments)
        .allSatisfy(
            d ->
                assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                    .startsWith(repository + ":"));
  }

  @Test
  void theSandboxInstallsTheMemberChartExactlyAsTheReadmeSays() {
    HelmRelease sandbox = Sandbox.memberRelease();
    HelmRelease readme = member.toRelease();
    assertThat(sandbox.chart()).isEqualTo(readme.chart());
    assertThat(sandbox.name()).isEqualTo(readme.name());
    assertThat(sandbox.namespace()).isEqualTo(readme.namespace());
    assertThat(strings(sandbox.flatValues())).isEqualTo(strings(readme.flatValues()));
  }

  @Test
  void theSandboxInstallsTheGleanerChartAsTheReadmeSaysButForTheValuesNamedHere() {
    HelmRelease sandbox =
        Sandbox.gleanerRelease(
            "127.0.0.1:2281",
            Sandbox.ZK_CA_SECRET,
            19090,
            Duration.ofSeconds(60),
            Duration.ofSeconds(120),
            Sandbox.extraArgs(
                SandboxOptions.defaults(Path.of("k")), Instant.now(), Duration.ZERO, null));
    HelmRelease readme = gleaner.toRelease();
    assertThat(sandbox.chart()).isEqualTo(readme.chart());
    assertThat(sandbox.name()).isEqualTo(readme.name());
    assertThat(sandbox.namespace()).isEqualTo(readme.namespace());
    assertThat(readme.namespace())
        .as("step 2 creates the member Secrets where step 3 installs")
        .isEqualTo(member.namespace())
        .isEqualTo(Sandbox.NAMESPACE);

    SortedMap<String, String> theirs = strings(readme.flatValues());
    SortedMap<String, String> ours = strings(sandbox.flatValues());
    List<String> differences = new ArrayList<>();
    theirs.forEach(
        (k, v) -> {
          if (!NOT_FOLLOWED.containsKey(k) && !Objects.equals(v, ours.get(k))) {
            differences.add(k + ": README " + v + ", sandbox " + ours.get(k));
          }
        });
    ours.forEach(
        (k, v) -> {
          if (!theirs.containsKey(k) && !SANDBOX_ONLY.containsKey(k)) {
            differences.add(k + ": only the sandbox sets it (" + v + ")");
          }
        });
    assertThat(differences)
        .as("values where the sandbox and the README differ without a reason named here")
        .isEmpty();
    assertThat(theirs.keySet())
        .as("values named as not followed that the README does not set")
        .containsAll(NOT_FOLLOWED.keySet());
    assertThat(ours.keySet())
        .as("values named as the sandbox's own that it does not set")
        .containsAll(SANDBOX_ONLY.keySet());
  }

  /**
   * Step 2: what the sandbox registers for a member (at the install and for a member added at
   * runtime) is the README's {@code member-a.yaml} with that member's values, and its Secret is the
   * one the README's {@code kubectl create secret} line creates.
   */
  @Test
  void theSandboxRegistersAMemberWithTheReadmesManifestAndSecret() throws Exception {
    String step = Readme.between(Readme.text(), "**2. Register each member", "**3. Install");
    @SuppressWarnings("unchecked")
    Map<String, Object> readme =
        new io.fabric8.kubernetes.client.utils.KubernetesSerialization()
            .unmarshal(Readme.block(step, "yaml"), Map.class);
    MemberRegistration r =
        MemberRegistration.of(
            "member-a",
            java.util.Set.of(io.gleaner.meta.crd.MemberRole.ONLINE),
            "eu-west-1",
            "eu-west-1a",
            "kubeconfig of member-a",
            Sandbox.NAMESPACE);
    @SuppressWarnings("unchecked")
    Map<String, Object> sandbox =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .convertValue(r.memberCluster(), Map.class);
    assertThat(sandbox).isEqualTo(readme);
    assertThat(Readme.block(step, "sh"))
        .contains(
            "kubectl -n "
                + r.secret().getMetadata().getNamespace()
                + " create secret generic "
                + r.secret().getMetadata().getName()
                + " --from-file=kubeconfig=member-a.kubeconfig");
    assertThat(r.secret().getStringData()).containsOnlyKeys("kubeconfig");
    assertThat(r.objects()).containsExactly(r.secret(), r.memberCluster());
  }

  @Test
  void commandLinesAreReadAsTheShellAndHelmReadThem() {
    HelmInstallLine line =
        HelmInstallLine.parse(
            "helm install r charts/c -n ns \\\n  --set a.b=1,c=true --set 'zk=x:1\\,y:2'"
                + " --set-string n=\"007\" --kube-context k");
    assertThat(line.release()).isEqualTo("r");
    assertThat(line.chartPath()).isEqualTo("charts/c");
    assertThat(line.namespace()).isEqualTo("ns");
    assertThat(line.sets())
        .containsExactly(
            Map.entry("a.b", 1L),
            Map.entry("c", true),
            Map.entry("zk", "x:1,y:2"),
            Map.entry("n", "007"));
    // helm splits a --set on every comma it is not told to keep
    assertThatThrownBy(
            () -> HelmInstallLine.parse("helm install r c --set zookeeper.connect=a:1,b:2"))
        .hasMessageContaining("key \"b:2\" has no value");
    assertThatThrownBy(() -> HelmInstallLine.parse("helm install r c -f values.yaml"))
        .hasMessageContaining("not known to this test");
  }

  /** The one {@code helm install} command of the first shell block in {@code section}. */
  private static HelmInstallLine helmInstall(String section) {
    String block = Readme.block(section, "sh");
    List<String> commands =
        List.of(block.split("(?<!\\\\)\\n")).stream()
            .map(String::trim)
            .filter(c -> c.startsWith("helm install"))
            .toList();
    assertThat(commands).as("helm install commands in:\n%s", block).hasSize(1);
    return HelmInstallLine.parse(commands.get(0));
  }

  private static SortedMap<String, String> strings(SortedMap<String, Object> values) {
    SortedMap<String, String> out = new java.util.TreeMap<>();
    values.forEach((k, v) -> out.put(k, String.valueOf(v)));
    return out;
  }
}
