package io.gleaner.broker.kueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.meta.resources.Resources;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedCluster;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Kueue quota controller against Kueue's API ({@code kueue.x-k8s.io/v1beta1} ResourceFlavor and
 * ClusterQueue, registered as CustomResourceDefinitions) on the simulated API server. Kueue's own
 * controller does not run here: admission by the quota is not tested.
 */
class KueueQuotaIT {
  private SimRuntime runtime;
  private SimulatedCluster meta;
  private KubernetesClient client;
  private final AtomicReference<Resources> harvested =
      new AtomicReference<>(Resources.of("cpu", "100", "memory", "400Gi"));

  @BeforeEach
  void setUp() {
    runtime = SimRuntime.create();
    meta = SimulatedCluster.builder("meta").runtime(runtime).build();
    client = meta.client();
    crd("resourceflavors", "ResourceFlavor");
    crd("clusterqueues", "ClusterQueue");
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(
                        client
                            .genericKubernetesResources(
                                KueueQuotaController.API_VERSION, "ClusterQueue")
                            .list()
                            .getItems())
                    .isEmpty());
    client
        .nodes()
        .resource(
            new NodeBuilder()
                .withNewMetadata()
                .withName("gleaner")
                .addToLabels("type", "virtual-kubelet")
                .endMetadata()
                .build())
        .create();
  }

  @AfterEach
  void tearDown() {
    meta.close();
    runtime.close();
  }

  private void crd(String plural, String kind) {
    JSONSchemaProps open = new JSONSchemaProps();
    open.setType("object");
    open.setXKubernetesPreserveUnknownFields(true);
    client
        .apiextensions()
        .v1()
        .customResourceDefinitions()
        .resource(
            new CustomResourceDefinitionBuilder()
                .withNewMetadata()
                .withName(plural + ".kueue.x-k8s.io")
                .endMetadata()
                .withNewSpec()
                .withGroup("kueue.x-k8s.io")
                .withScope("Cluster")
                .withNewNames()
                .withPlural(plural)
                .withSingular(kind.toLowerCase())
                .withKind(kind)
                .endNames()
                .addNewVersion()
                .withName("v1beta1")
                .withServed(true)
                .withStorage(true)
                .withNewSchema()
                .withOpenAPIV3Schema(open)
                .endSchema()
                .withNewSubresources()
                .withNewStatus()
                .endStatus()
                .endSubresources()
                .endVersion()
                .endSpec()
                .build())
        .create();
  }

  private void create(String kind, String name, Map<String, Object> spec) {
    client
        .genericKubernetesResources(KueueQuotaController.API_VERSION, kind)
        .resource(
            new GenericKubernetesResourceBuilder()
                .withApiVersion(KueueQuotaController.API_VERSION)
                .withKind(kind)
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .addToAdditionalProperties("spec", spec)
                .build())
        .create();
  }

  private GenericKubernetesResource queue(String name) {
    return client
        .genericKubernetesResources(KueueQuotaController.API_VERSION, "ClusterQueue")
        .withName(name)
        .get();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> quota(GenericKubernetesResource q, String flavor) {
    Map<String, Object> spec = (Map<String, Object>) q.getAdditionalProperties().get("spec");
    List<Map<String, Object>> groups = (List<Map<String, Object>>) spec.get("resourceGroups");
    Map<String, Object> out = new java.util.TreeMap<>();
    for (Map<String, Object> g : groups) {
      for (Map<String, Object> f : (List<Map<String, Object>>) g.get("flavors")) {
        if (flavor.equals(f.get("name"))) {
          for (Map<String, Object> r : (List<Map<String, Object>>) f.get("resources")) {
            out.put((String) r.get("name"), r.get("nominalQuota"));
          }
        }
      }
    }
    return out;
  }

  private static Map<String, Object> flavor(String name, String cpu, String memory) {
    return Map.of(
        "name",
        name,
        "resources",
        List.of(
            Map.of("name", "cpu", "nominalQuota", cpu),
            Map.of("name", "memory", "nominalQuota", memory)));
  }

  @Test
  void keepsTheFlavorsQuotaInStepWithTheHarvestPastABand() {
    create("ResourceFlavor", "gleaner", Map.of("nodeLabels", Map.of("type", "virtual-kubelet")));
    create("ResourceFlavor", "on-prem", Map.of("nodeLabels", Map.of("pool", "on-prem")));
    create(
        "ClusterQueue",
        "team-a",
        Map.of(
            "cohort",
            "all",
            "resourceGroups",
            List.of(
                Map.of(
                    "coveredResources",
                    List.of("cpu", "memory"),
                    "flavors",
                    List.of(flavor("on-prem", "10", "10Gi"), flavor("gleaner", "0", "0"))))));
    create(
        "ClusterQueue",
        "no-gleaner",
        Map.of(
            "resourceGroups",
            List.of(
                Map.of(
                    "coveredResources",
                    List.of("cpu"),
                    "flavors",
                    List.of(
                        Map.of(
                            "name",
                            "on-prem",
                            "resources",
                            List.of(Map.of("name", "cpu", "nominalQuota", "4"))))))));
    KueueQuotaController c = new KueueQuotaController(client, "gleaner", harvested::get, 0.1);

    assertThat(c.reconcile()).isEqualTo(1);
    assertThat(quota(queue("team-a"), "gleaner"))
        .containsEntry("cpu", "100")
        .containsEntry("memory", "400Gi");
    assertThat(quota(queue("team-a"), "on-prem"))
        .containsEntry("cpu", "10")
        .containsEntry("memory", "10Gi");
    assertThat(quota(queue("no-gleaner"), "on-prem")).containsEntry("cpu", "4");

    // within the band: nothing written
    String version = queue("team-a").getMetadata().getResourceVersion();
    harvested.set(Resources.of("cpu", "105", "memory", "410Gi"));
    assertThat(c.reconcile()).isZero();
    assertThat(queue("team-a").getMetadata().getResourceVersion()).isEqualTo(version);

    // past it: only the resource that moved
    harvested.set(Resources.of("cpu", "80500m", "memory", "410Gi"));
    assertThat(c.reconcile()).isEqualTo(1);
    assertThat(quota(queue("team-a"), "gleaner"))
        .containsEntry("cpu", "80500m")
        .containsEntry("memory", "400Gi");
  }

  @Test
  void aFlavorNotPointingAtTheVirtualNodeIsLeftAlone() {
    create(
        "ResourceFlavor",
        "other",
        Map.of("nodeLabels", Map.of("type", "virtual-kubelet", "zone", "b")));
    create(
        "ClusterQueue",
        "team-b",
        Map.of(
            "resourceGroups",
            List.of(
                Map.of(
                    "coveredResources",
                    List.of("cpu", "memory"),
                    "flavors",
                    List.of(flavor("other", "3", "3Gi"))))));
    KueueQuotaController c = new KueueQuotaController(client, "gleaner", harvested::get, 0.1);
    assertThat(c.reconcile()).isZero();
    assertThat(quota(queue("team-b"), "other")).containsEntry("cpu", "3");
  }
}
