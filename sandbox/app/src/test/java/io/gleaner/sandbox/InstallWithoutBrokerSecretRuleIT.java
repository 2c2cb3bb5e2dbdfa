package io.gleaner.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart installed with the broker's rule to read the member kubeconfig Secrets removed from the
 * rendered objects, as a broken RBAC would leave it: what a user sees is the broker rejecting every
 * offer ("not a known member cluster") and a pod submitted to the virtual node staying Pending with
 * the scheduler's reason. {@link InstallIT} installs the chart as it is.
 *
 * <p>Only the services this outcome involves run (values an operator may set): the broker, the
 * idle-detector that offers and one virtual-kubelet that keeps the node; no descheduler and no
 * standby, two JVMs fewer to start.
 */
class InstallWithoutBrokerSecretRuleIT {
  private static final String SECRET_RULE = "gleaner-broker-member-secrets";

  @TempDir static Path dir;
  private static Sandbox sandbox;
  private static Path kubeconfig;

  @BeforeAll
  static void install() throws Exception {
    SandboxOptions options =
        SandboxOptions.defaults(dir.resolve("k")).withClusters(1, 0, 0).withPorts(0, 0);
    sandbox =
        new Sandbox(
                options,
                step -> System.out.println("[install] " + step),
                InstallWithoutBrokerSecretRuleIT::withoutSecretRule,
                System.out)
            .withGleanerValues(
                Map.of(
                    "descheduler", Map.of("enabled", false),
                    "virtualKubelet", Map.of("replicas", 1)),
                meta -> {})
            .install();
    kubeconfig = dir.resolve("k").resolve("meta.kubeconfig");
  }

  @AfterAll
  static void uninstall() {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  private static List<HasMetadata> withoutSecretRule(List<HasMetadata> rendered) {
    List<HasMetadata> kept =
        rendered.stream()
            .filter(
                o ->
                    !(o.getKind().equals("RoleBinding")
                        && o.getMetadata().getName().equals(SECRET_RULE)))
            .toList();
    assertThat(kept)
        .as("the rendered chart has the rule %s", SECRET_RULE)
        .hasSize(rendered.size() - 1);
    return kept;
  }

  @Test
  void offersAreRejectedAndPodsStayPending() throws Exception {
    assertThat(sandbox.processes().replicas())
        .extracting(r -> r.name())
        .containsExactlyInAnyOrder("broker-0", "idle-detector-0", "virtual-kubelet-0");
    int http =
        sandbox.processes().replicas().stream()
            .filter(r -> r.name().equals("broker-0"))
            .findFirst()
            .orElseThrow()
            .ports()
            .get("http");
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptionsInstanceOf(IOException.class)
        .until(() -> InstallTools.rejectedOffers(http), n -> n > 0);
    // the virtual-kubelet is healthy before it has registered its node: wait for the node
    Node node =
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> sandbox.federation().meta().client().nodes().withName("gleaner").get(),
                n -> n != null);
    assertThat(node.getStatus().getAllocatable().get("cpu").getAmount())
        .as("the virtual node offers nothing")
        .isEqualTo("0");

    InstallTools.kubectl(kubeconfig, "create", "namespace", "team-a");
    Path pod = dir.resolve("batch.yaml");
    Files.writeString(
        pod,
        """
        apiVersion: v1
        kind: Pod
        metadata:
          name: batch
          namespace: team-a
          labels:
            gleaner.io/class: offline
        spec:
          nodeSelector:
            type: virtual-kubelet
          tolerations:
            - key: virtual-kubelet.io/provider
              operator: Equal
              value: gleaner
              effect: NoSchedule
          containers:
            - name: work
              image: busybox:1.36
              resources:
                requests: {cpu: 500m, memory: 256Mi}
        """);
    InstallTools.kubectl(kubeconfig, "apply", "-f", pod.toString());
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () -> {
              Pod p =
                  sandbox
                      .federation()
                      .meta()
                      .client()
                      .pods()
                      .inNamespace("team-a")
                      .withName("batch")
                      .get();
              assertThat(p.getStatus().getPhase()).isEqualTo("Pending");
              assertThat(p.getStatus().getConditions())
                  .anySatisfy(
                      c -> {
                        assertThat(c.getType()).isEqualTo("PodScheduled");
                        assertThat(c.getMessage()).isNotBlank();
                      });
            });
  }
}
