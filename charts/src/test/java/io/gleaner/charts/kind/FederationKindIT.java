package io.gleaner.charts.kind;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dajudge.kindcontainer.KindContainer;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Network;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.utility.MountableFile;

/**
 * Gleaner on real Kubernetes: one metadata and two member kind clusters (Testcontainers +
 * kindcontainer), the image built from the repository's Dockerfile, both charts installed with
 * helm-java.
 *
 * <p>The flow: a pod submitted to the virtual node runs in a member; an online scale-up in that
 * member reclaims it; the metadata pod shows {@code Reclaimed}.
 *
 * <p>Needs a Docker engine and the shaded jar ({@code ./mvnw -DskipTests package -pl dist -am}).
 * Without either, the whole class is skipped and the reason printed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FederationKindIT {

  private static final Path REPO = Paths.get("..").toAbsolutePath().normalize();
  private static final Path JAR = REPO.resolve("dist/target/gleaner-all.jar");
  private static final String IMAGE_REPOSITORY = "gleaner";
  private static final String IMAGE_TAG = "kindit";
  private static final String SYSTEM_NS = "gleaner-system";
  private static final String TEAM_NS = "team-a";
  private static final String ONLINE_NS = "online";
  private static final String VIRTUAL_NODE = "gleaner";
  private static final Duration CLUSTER_TIMEOUT = Duration.ofMinutes(5);

  private Network network;
  private KindContainer<?> meta;
  private final List<Member> members = new ArrayList<>();
  private KubernetesClient metaClient;

  /** A member cluster: its container, an admin client, and the name Gleaner knows it by. */
  private record Member(String name, KindContainer<?> container, KubernetesClient client) {}

  /**
   * Why the clusters were not started, or null. Checked per test so the skip is counted and
   * reported.
   */
  private String skipReason;

  @BeforeAll
  void startClusters() throws Exception {
    skipReason = skipReason();
    if (skipReason != null) {
      System.out.println("[kind] FederationKindIT skipped: " + skipReason);
      return;
    }
    network = Network.newNetwork();
    meta = kind("meta");
    for (String name : List.of("member-a", "member-b")) {
      KindContainer<?> container = kind(name);
      members.add(new Member(name, container, client(container.getKubeconfig())));
    }
    metaClient = client(meta.getKubeconfig());
    loadImageIntoMetadataCluster(buildImage());

    for (Member member : members) {
      installMemberChart(member);
    }
    installGleaner();
  }

  @BeforeEach
  void needsClusters() {
    Assumptions.assumeTrue(skipReason == null, () -> "FederationKindIT skipped: " + skipReason);
  }

  @AfterAll
  void stopClusters() {
    members.forEach(
        m -> {
          m.client().close();
          m.container().stop();
        });
    if (metaClient != null) {
      metaClient.close();
    }
    if (meta != null) {
      meta.stop();
    }
    if (network != null) {
      network.close();
    }
  }

  @Test
  void podRunsInAMemberAndIsReclaimedByAnOnlineScaleUp() {
    try {
      await("virtual node " + VIRTUAL_NODE + " Ready")
          .atMost(CLUSTER_TIMEOUT)
          .pollInterval(Duration.ofSeconds(2))
          .until(() -> isReady(metaClient.nodes().withName(VIRTUAL_NODE).get()));
      await("a member node lent as idle")
          .atMost(CLUSTER_TIMEOUT)
          .pollInterval(Duration.ofSeconds(2))
          .until(
              () ->
                  members.stream()
                      .anyMatch(
                          m ->
                              !m.client()
                                  .nodes()
                                  .withLabel("gleaner.io/pool", "idle")
                                  .list()
                                  .getItems()
                                  .isEmpty()));

      // 1. A pod submitted to the virtual node runs in a member.
      metaClient.namespaces().resource(namespace(TEAM_NS)).serverSideApply();
      Pod submitted =
          metaClient.pods().inNamespace(TEAM_NS).resource(offlinePod("batch-1")).create();
      String uid = submitted.getMetadata().getUid();
      await("metadata pod Running")
          .atMost(CLUSTER_TIMEOUT)
          .pollInterval(Duration.ofSeconds(2))
          .until(
              () ->
                  "Running"
                      .equals(
                          phase(metaClient.pods().inNamespace(TEAM_NS).withName("batch-1").get())));
      AtomicReference<Member> host = new AtomicReference<>();
      AtomicReference<Pod> memberPod = new AtomicReference<>();
      await("member pod of " + uid)
          .atMost(Duration.ofMinutes(1))
          .until(
              () -> {
                for (Member m : members) {
                  Optional<Pod> found =
                      m
                          .client()
                          .pods()
                          .inAnyNamespace()
                          .withLabel("gleaner.io/meta-uid", uid)
                          .list()
                          .getItems()
                          .stream()
                          .filter(p -> "Running".equals(phase(p)))
                          .findFirst();
                  if (found.isPresent()) {
                    host.set(m);
                    memberPod.set(found.get());
                    return true;
                  }
                }
                return false;
              });
      Pod placed = memberPod.get();
      assertThat(placed.getMetadata().getLabels())
          .containsEntry("gleaner.io/managed", "true")
          .containsEntry("gleaner.io/class", "offline")
          .containsEntry("gleaner.io/instance", "kindit");
      assertThat(placed.getSpec().getPriorityClassName()).isEqualTo("gleaner-offline");

      // 2. An online scale-up in that member needs the room the Gleaner pod takes. The online pods
      // may not
      //    preempt, so only Gleaner's descheduler can make room.
      KubernetesClient member = host.get().client();
      String nodeName = placed.getSpec().getNodeName();
      BigDecimal onlineCpu =
          freeCpuWithout(member, nodeName, placed).subtract(new BigDecimal("0.05"));
      assertThat(onlineCpu).as("room for the online pod").isPositive();
      member.namespaces().resource(namespace(ONLINE_NS)).serverSideApply();
      member
          .scheduling()
          .v1()
          .priorityClasses()
          .resource(
              new PriorityClassBuilder()
                  .withNewMetadata()
                  .withName("online-no-preempt")
                  .endMetadata()
                  .withValue(1000)
                  .withPreemptionPolicy("Never")
                  .build())
          .serverSideApply();
      member
          .apps()
          .deployments()
          .inNamespace(ONLINE_NS)
          .resource(onlineDeployment(nodeName, onlineCpu))
          .create();
      member.apps().deployments().inNamespace(ONLINE_NS).withName("web").scale(1);

      // 3. The metadata pod shows Reclaimed, and the online pod runs.
      await("metadata pod Failed/Reclaimed")
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofSeconds(1))
          .untilAsserted(
              () -> {
                Pod pod = metaClient.pods().inNamespace(TEAM_NS).withName("batch-1").get();
                assertThat(pod.getStatus().getPhase()).isEqualTo("Failed");
                assertThat(pod.getStatus().getReason()).isEqualTo("Reclaimed");
              });
      await("online pod Running")
          .atMost(Duration.ofMinutes(2))
          .until(
              () ->
                  member
                      .pods()
                      .inNamespace(ONLINE_NS)
                      .withLabel("app", "web")
                      .list()
                      .getItems()
                      .stream()
                      .anyMatch(p -> "Running".equals(phase(p))));
    } catch (AssertionError | RuntimeException e) {
      printDiagnostics();
      throw e;
    }
  }

  // ---- set-up steps ----

  /** Null when a Docker engine runs and the jar is built; otherwise what is missing. */
  private static String skipReason() {
    boolean docker;
    try {
      docker = DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException e) {
      docker = false;
    }
    if (!docker) {
      return "no Docker engine is running (Testcontainers found none); the kind clusters need one";
    }
    if (!Files.isRegularFile(JAR)) {
      return "the shaded jar "
          + JAR
          + " is missing; run ./mvnw -DskipTests package -pl dist -am first";
    }
    return null;
  }

  private KindContainer<?> kind(String alias) {
    KindContainer<?> container = new KindContainer<>();
    container.withNetwork(network);
    container.withNetworkAliases(alias);
    container.start();
    return container;
  }

  private static KubernetesClient client(String kubeconfig) {
    return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfig)).build();
  }

  private String buildImage() {
    return new ImageFromDockerfile(IMAGE_REPOSITORY + ":" + IMAGE_TAG, true)
        .withFileFromPath("Dockerfile", REPO.resolve("Dockerfile"))
        .withFileFromPath("dist/target/gleaner-all.jar", JAR)
        .get();
  }

  /** kind nodes run containerd: export the image from Docker and import it on the node. */
  private void loadImageIntoMetadataCluster(String image) throws IOException, InterruptedException {
    Path tar = Files.createTempFile("gleaner-image", ".tar");
    try (InputStream in = DockerClientFactory.instance().client().saveImageCmd(image).exec()) {
      Files.copy(in, tar, StandardCopyOption.REPLACE_EXISTING);
    }
    meta.copyFileToContainer(MountableFile.forHostPath(tar), "/tmp/gleaner-image.tar");
    var result =
        meta.execInContainer(
            "ctr", "--namespace=k8s.io", "images", "import", "/tmp/gleaner-image.tar");
    assertThat(result.getExitCode()).as("ctr import: %s", result.getStderr()).isZero();
    Files.deleteIfExists(tar);
  }

  private void installMemberChart(Member member) {
    new Helm(Paths.get("gleaner-member"))
        .install()
        .withName("gleaner-member")
        .withNamespace(SYSTEM_NS)
        .createNamespace()
        .withKubeConfigContents(member.container().getKubeconfig())
        .waitReady()
        .withTimeout(120)
        .call();
  }

  private void installGleaner() {
    metaClient.namespaces().resource(namespace(SYSTEM_NS)).serverSideApply();
    var install =
        new Helm(Paths.get("gleaner"))
            .install()
            .withName("gleaner")
            .withNamespace(SYSTEM_NS)
            .withKubeConfigContents(meta.getKubeconfig())
            .set("instance", "kindit")
            .set("image.repository", IMAGE_REPOSITORY)
            .set("image.tag", IMAGE_TAG)
            .set("image.pullPolicy", "Never")
            .set("zookeeper.bundled.replicas", 1)
            .set("zookeeper.bundled.persistence.enabled", false)
            .set("descheduler.config.decisionWindow", "250ms");
    // Pods of the metadata cluster reach the members' API servers by the names in their
    // certificates.
    for (int i = 0; i < members.size(); i++) {
      KindContainer<?> c = members.get(i).container();
      install.set("hostAliases[" + i + "].ip", ipOnNetwork(c));
      install.set("hostAliases[" + i + "].hostnames[0]", c.getInternalHostname());
    }
    install.waitReady().withTimeout(600).call();

    // Short idle timer and cool-down so the flow fits in minutes; generous thresholds for kind's
    // control plane.
    apply(
        metaClient,
        """
        apiVersion: gleaner.io/v1alpha1
        kind: GleanerPolicy
        metadata:
          name: default
        spec:
          idleAfter: 10s
          reclaimCooldown: 1m
          idleThresholds:
            cpuRequestFraction: 0.9
            memoryRequestFraction: 0.9
            cpuUsageFraction: 0.9
        """);
    for (Member member : members) {
      Secret kubeconfig =
          new SecretBuilder()
              .withNewMetadata()
              .withName(member.name() + "-kubeconfig")
              .withNamespace(SYSTEM_NS)
              .endMetadata()
              .addToStringData("kubeconfig", memberKubeconfig(member))
              .build();
      metaClient.secrets().resource(kubeconfig).serverSideApply();
      apply(
          metaClient,
          """
          apiVersion: gleaner.io/v1alpha1
          kind: MemberCluster
          metadata:
            name: %s
          spec:
            roles: [online]
            kubeconfigSecretRef:
              name: %s-kubeconfig
              namespace: %s
          """
              .formatted(member.name(), member.name(), SYSTEM_NS));
    }
  }

  /**
   * The kubeconfig Gleaner uses for a member: the gleaner-member ServiceAccount's token, the
   * internal address.
   */
  private static String memberKubeconfig(Member member) {
    Secret token =
        await("token of gleaner-member")
            .atMost(Duration.ofMinutes(1))
            .until(
                () ->
                    member
                        .client()
                        .secrets()
                        .inNamespace(SYSTEM_NS)
                        .withName("gleaner-member-token")
                        .get(),
                s -> s != null && s.getData() != null && s.getData().containsKey("token"));
    String server =
        "https://"
            + member.container().getInternalHostname()
            + ":"
            + member.container().getInternalPort();
    String token64 = token.getData().get("token");
    return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: %1$s
          cluster:
            server: %2$s
            certificate-authority-data: %3$s
        users:
        - name: gleaner
          user:
            token: %4$s
        contexts:
        - name: %1$s
          context:
            cluster: %1$s
            user: gleaner
        current-context: %1$s
        """
        .formatted(
            member.name(),
            server,
            token.getData().get("ca.crt"),
            new String(Base64.getDecoder().decode(token64), StandardCharsets.UTF_8));
  }

  private String ipOnNetwork(KindContainer<?> container) {
    return container.getContainerInfo().getNetworkSettings().getNetworks().values().stream()
        .filter(n -> network.getId().equals(n.getNetworkID()))
        .map(ContainerNetwork::getIpAddress)
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "container "
                        + container.getContainerName()
                        + " is not on network "
                        + network.getId()));
  }

  // ---- objects ----

  private static Namespace namespace(String name) {
    return new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build();
  }

  /** What a user submits: the class label, the virtual node's toleration and node selector. */
  private static Pod offlinePod(String name) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(TEAM_NS)
        .addToLabels("gleaner.io/class", "offline")
        .endMetadata()
        .withNewSpec()
        .withRestartPolicy("Never")
        .addToNodeSelector("type", "virtual-kubelet")
        .addNewToleration()
        .withKey("virtual-kubelet.io/provider")
        .withOperator("Equal")
        .withValue("gleaner")
        .withEffect("NoSchedule")
        .endToleration()
        .addNewContainer()
        .withName("work")
        .withImage("registry.k8s.io/pause:3.10")
        .withNewResources()
        .addToRequests(Map.of("cpu", new Quantity("200m"), "memory", new Quantity("32Mi")))
        .endResources()
        .endContainer()
        .endSpec()
        .build();
  }

  private static Deployment onlineDeployment(String nodeName, BigDecimal cpu) {
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName("web")
        .withNamespace(ONLINE_NS)
        .endMetadata()
        .withNewSpec()
        .withReplicas(0)
        .withNewSelector()
        .addToMatchLabels("app", "web")
        .endSelector()
        .withNewTemplate()
        .withNewMetadata()
        .addToLabels("app", "web")
        .endMetadata()
        .withNewSpec()
        .withPriorityClassName("online-no-preempt")
        .addToNodeSelector("kubernetes.io/hostname", nodeName)
        .addNewContainer()
        .withName("web")
        .withImage("registry.k8s.io/pause:3.10")
        .withNewResources()
        .addToRequests(
            Map.of(
                "cpu",
                new Quantity(
                    cpu.multiply(BigDecimal.valueOf(1000)).setScale(0, java.math.RoundingMode.DOWN)
                        + "m"),
                "memory",
                new Quantity("32Mi")))
        .endResources()
        .endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  // ---- helpers ----

  private static void apply(KubernetesClient client, String yaml) {
    client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).serverSideApply();
  }

  private static String phase(Pod pod) {
    return pod == null || pod.getStatus() == null ? null : pod.getStatus().getPhase();
  }

  private static boolean isReady(Node node) {
    return node != null
        && node.getStatus() != null
        && node.getStatus().getConditions() != null
        && node.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /**
   * Allocatable CPU of the node minus the requests of every live pod on it except {@code except}.
   */
  private static BigDecimal freeCpuWithout(KubernetesClient client, String nodeName, Pod except) {
    Node node = client.nodes().withName(nodeName).get();
    BigDecimal free = Quantity.getAmountInBytes(node.getStatus().getAllocatable().get("cpu"));
    for (Pod pod :
        client.pods().inAnyNamespace().withField("spec.nodeName", nodeName).list().getItems()) {
      String phase = phase(pod);
      if (pod.getMetadata().getUid().equals(except.getMetadata().getUid())
          || "Succeeded".equals(phase)
          || "Failed".equals(phase)) {
        continue;
      }
      for (var container : pod.getSpec().getContainers()) {
        if (container.getResources() != null
            && container.getResources().getRequests() != null
            && container.getResources().getRequests().containsKey("cpu")) {
          free =
              free.subtract(
                  Quantity.getAmountInBytes(container.getResources().getRequests().get("cpu")));
        }
      }
    }
    return free;
  }

  private void printDiagnostics() {
    try {
      System.out.println(
          "[kind] nodes of the metadata cluster: "
              + metaClient.nodes().list().getItems().stream()
                  .map(
                      n ->
                          n.getMetadata().getName()
                              + " "
                              + Optional.ofNullable(n.getStatus().getConditions())
                                  .orElse(List.of())
                                  .stream()
                                  .map(NodeCondition::getType)
                                  .toList())
                  .toList());
      for (Pod pod : metaClient.pods().inNamespace(SYSTEM_NS).list().getItems()) {
        System.out.println(
            "[kind] --- logs of " + pod.getMetadata().getName() + " (" + phase(pod) + ")");
        System.out.println(
            metaClient
                .pods()
                .inNamespace(SYSTEM_NS)
                .withName(pod.getMetadata().getName())
                .tailingLines(200)
                .getLog());
      }
      for (Pod pod : metaClient.pods().inNamespace(TEAM_NS).list().getItems()) {
        System.out.println(
            "[kind] metadata pod " + pod.getMetadata().getName() + ": " + pod.getStatus());
      }
    } catch (RuntimeException e) {
      System.out.println("[kind] could not collect diagnostics: " + e);
    }
  }
}
