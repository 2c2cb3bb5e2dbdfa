package io.gleaner.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.apiserver.ServerExtensions;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * ResourceQuota on pod create, as kube-apiserver's ResourceQuota admission and the quota controller
 * keep it: 403 Forbidden with the real message, {@code status.hard} and {@code status.used}, scopes
 * and scope selectors on PriorityClass.
 */
class ResourceQuotaIT {
  static SimRuntime runtime;
  static SimulatedApiServer server;
  static KubernetesClient client;
  static int counter;
  String ns;

  @BeforeAll
  static void start() {
    runtime = SimRuntime.create();
    server = new SimulatedApiServer("quota-it", runtime, new FakeClock(), ServerExtensions.NONE);
    client = server.newClient();
    for (String pc : new String[] {"gleaner-offline", "gleaner-near-line"}) {
      client
          .scheduling()
          .v1()
          .priorityClasses()
          .resource(
              new PriorityClassBuilder()
                  .withNewMetadata()
                  .withName(pc)
                  .endMetadata()
                  .withValue(-200)
                  .build())
          .create();
    }
  }

  @AfterAll
  static void stop() {
    server.close();
    runtime.close();
  }

  @BeforeEach
  void namespace() {
    ns = "q" + (++counter);
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .create();
  }

  private Pod pod(String name, String cpu, String priorityClass) {
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("c")
            .withImage("busybox")
            .withNewResources()
            .addToRequests(cpu == null ? Map.of() : Map.of("cpu", new Quantity(cpu)))
            .endResources()
            .endContainer()
            .endSpec();
    if (priorityClass != null) {
      b.editSpec().withPriorityClassName(priorityClass).endSpec();
    }
    return client.pods().inNamespace(ns).resource(b.build()).create();
  }

  private void quota(ResourceQuota q) {
    q.getMetadata().setNamespace(ns);
    client.resourceQuotas().inNamespace(ns).resource(q).create();
  }

  private ResourceQuota read(String name) {
    return client.resourceQuotas().inNamespace(ns).withName(name).get();
  }

  @Test
  void aPodThatWouldExceedTheQuotaIsForbiddenWithKubeApiserversMessage() {
    quota(
        new ResourceQuotaBuilder()
            .withNewMetadata()
            .withName("cap")
            .endMetadata()
            .withNewSpec()
            .addToHard("requests.cpu", new Quantity("4"))
            .addToHard("pods", new Quantity("10"))
            .endSpec()
            .build());
    assertThat(read("cap").getStatus().getHard()).containsKeys("requests.cpu", "pods");
    assertThat(read("cap").getStatus().getUsed())
        .containsEntry("requests.cpu", new Quantity("0"))
        .containsEntry("pods", new Quantity("0"));

    pod("a", "2", null);
    pod("b", "1", null);
    assertThat(read("cap").getStatus().getUsed())
        .containsEntry("requests.cpu", new Quantity("3"))
        .containsEntry("pods", new Quantity("2"));

    assertThatThrownBy(() -> pod("x", "2", null))
        .isInstanceOfSatisfying(
            KubernetesClientException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(403);
              assertThat(e.getStatus().getReason()).isEqualTo("Forbidden");
              assertThat(e.getStatus().getMessage())
                  .isEqualTo(
                      "pods \"x\" is forbidden: exceeded quota: cap, requested: requests.cpu=2,"
                          + " used: requests.cpu=3, limited: requests.cpu=4");
            });
    assertThat(client.pods().inNamespace(ns).withName("x").get()).isNull();

    pod("y", "1", null); // exactly at the limit
    assertThat(read("cap").getStatus().getUsed()).containsEntry("requests.cpu", new Quantity("4"));
  }

  @Test
  void usedFollowsPodsThatEndOrGoAndTheHardLimitFollowsTheSpec() {
    quota(
        new ResourceQuotaBuilder()
            .withNewMetadata()
            .withName("cap")
            .endMetadata()
            .withNewSpec()
            .addToHard("cpu", new Quantity("2"))
            .endSpec()
            .build());
    pod("a", "1500m", null);
    assertThatThrownBy(() -> pod("b", "1", null))
        .hasMessageContaining("exceeded quota: cap, requested: cpu=1, used: cpu=1500m");

    client.pods().inNamespace(ns).withName("a").withGracePeriod(0).delete();
    assertThat(read("cap").getStatus().getUsed()).containsEntry("cpu", new Quantity("0"));
    pod("b", "1", null);
    server
        .store()
        .mutate(
            io.gleaner.sim.apiserver.ResourceTypes.PODS,
            ns,
            "b",
            p -> {
              p.with("status").put("phase", "Succeeded");
              return p;
            });
    assertThat(read("cap").getStatus().getUsed()).containsEntry("cpu", new Quantity("0"));

    ResourceQuota q = read("cap");
    q.getSpec().getHard().put("cpu", new Quantity("1"));
    client.resourceQuotas().inNamespace(ns).resource(q).update();
    assertThat(read("cap").getStatus().getHard()).containsEntry("cpu", new Quantity("1"));
    assertThatThrownBy(() -> pod("c", "1500m", null)).hasMessageContaining("limited: cpu=1");
  }

  @Test
  void aQuotaScopedToPriorityClassesCountsOnlyThePodsOfThoseClasses() {
    quota(
        new ResourceQuotaBuilder()
            .withNewMetadata()
            .withName("gleaner")
            .endMetadata()
            .withNewSpec()
            .addToHard("requests.cpu", new Quantity("2"))
            .withNewScopeSelector()
            .addNewMatchExpression()
            .withScopeName("PriorityClass")
            .withOperator("In")
            .withValues("gleaner-offline", "gleaner-near-line")
            .endMatchExpression()
            .endScopeSelector()
            .endSpec()
            .build());
    pod("online", "8", null); // not in scope
    pod("off", "1", "gleaner-offline");
    pod("near", "1", "gleaner-near-line");
    assertThat(read("gleaner").getStatus().getUsed())
        .containsEntry("requests.cpu", new Quantity("2"));
    assertThatThrownBy(() -> pod("more", "500m", "gleaner-offline"))
        .hasMessageContaining("exceeded quota: gleaner, requested: requests.cpu=500m");
    pod("online-2", "8", null);
  }

  @Test
  void aQuotaOnCpuNeedsEveryPodItMatchesToSayHowMuch() {
    quota(
        new ResourceQuotaBuilder()
            .withNewMetadata()
            .withName("cap")
            .endMetadata()
            .withNewSpec()
            .addToHard("requests.cpu", new Quantity("4"))
            .addToHard("requests.memory", new Quantity("1Gi"))
            .withScopes("NotBestEffort")
            .endSpec()
            .build());
    pod("best-effort", null, null); // BestEffort: outside the scope
    assertThatThrownBy(() -> pod("cpu-only", "1", null))
        .isInstanceOfSatisfying(
            KubernetesClientException.class,
            e ->
                assertThat(e.getStatus().getMessage())
                    .isEqualTo(
                        "pods \"cpu-only\" is forbidden: failed quota: cap: must specify"
                            + " requests.memory"));
  }
}
