package io.gleaner.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Binding;
import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.Eviction;
import io.fabric8.kubernetes.api.model.policy.v1.EvictionBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.apiserver.ServerExtensions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The additions the simulated API server makes to a CRUD store, each checked against the behaviour
 * the Kubernetes API documents (eviction API, binding, status subresources, field selectors,
 * graceful deletion, ResourceQuota admission and usage).
 */
class SimulatedApiServerIT {
  static SimRuntime runtime;
  static FakeClock clock;
  static SimulatedApiServer server;
  static KubernetesClient client;
  static int counter;
  String ns;

  @BeforeAll
  static void start() {
    runtime = SimRuntime.create();
    clock = new FakeClock();
    server = new SimulatedApiServer("api-it", runtime, clock, ServerExtensions.NONE);
    client = server.newClient();
  }

  @AfterAll
  static void stop() {
    server.close();
    runtime.close();
  }

  @BeforeEach
  void namespace() {
    ns = "t" + (++counter);
    client
        .namespaces()
        .resource(
            new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                .withNewMetadata()
                .withName(ns)
                .endMetadata()
                .build())
        .create();
  }

  private Pod pod(String name, String node, Map<String, String> labels) {
    Pod p =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .withLabels(labels)
            .endMetadata()
            .withNewSpec()
            .withNodeName(node)
            .addNewContainer()
            .withName("main")
            .withImage("busybox")
            .endContainer()
            .endSpec()
            .build();
    return client.pods().inNamespace(ns).resource(p).create();
  }

  private Pod running(Pod p) {
    return client
        .pods()
        .inNamespace(ns)
        .withName(p.getMetadata().getName())
        .editStatus(
            s ->
                new PodBuilder(s)
                    .editStatus()
                    .withPhase("Running")
                    .withConditions(
                        new PodConditionBuilder().withType("Ready").withStatus("True").build())
                    .endStatus()
                    .build());
  }

  @Test
  void createResetsPodStatusAndDefaultsSpec() {
    Pod p =
        new PodBuilder()
            .withNewMetadata()
            .withName("p")
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("c")
            .withImage("i")
            .endContainer()
            .endSpec()
            .withNewStatus()
            .withPhase("Running")
            .endStatus()
            .build();
    Pod created = client.pods().inNamespace(ns).resource(p).create();
    assertThat(created.getStatus().getPhase()).isEqualTo("Pending");
    assertThat(created.getSpec().getSchedulerName()).isEqualTo("default-scheduler");
    assertThat(created.getSpec().getTerminationGracePeriodSeconds()).isEqualTo(30L);
    assertThat(created.getMetadata().getCreationTimestamp()).isEqualTo("2024-01-01T00:00:00Z");
  }

  @Test
  void creatingInMissingNamespaceIs404() {
    assertThatThrownBy(
            () ->
                client
                    .pods()
                    .inNamespace("nope")
                    .resource(
                        new PodBuilder()
                            .withNewMetadata()
                            .withName("x")
                            .endMetadata()
                            .withNewSpec()
                            .addNewContainer()
                            .withName("c")
                            .withImage("i")
                            .endContainer()
                            .endSpec()
                            .build())
                    .create())
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(404));
  }

  @Test
  void evictionBlockedByPdbIs429WithTheRealMessage() {
    Pod a = running(pod("a", "n1", Map.of("app", "web")));
    running(pod("b", "n1", Map.of("app", "web")));
    client
        .policy()
        .v1()
        .podDisruptionBudget()
        .inNamespace(ns)
        .resource(
            new PodDisruptionBudgetBuilder()
                .withNewMetadata()
                .withName("web-pdb")
                .endMetadata()
                .withNewSpec()
                .withMinAvailable(new io.fabric8.kubernetes.api.model.IntOrString(2))
                .withNewSelector()
                .addToMatchLabels("app", "web")
                .endSelector()
                .endSpec()
                .build())
        .create();

    assertThat(client.pods().inNamespace(ns).withName("a").evict())
        .isFalse(); // fabric8: false on 429
    RawResponse raw =
        post(
            "/api/v1/namespaces/" + ns + "/pods/a/eviction",
            "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"a\"}}");
    assertThat(raw.code()).isEqualTo(429);
    io.fabric8.kubernetes.api.model.Status status =
        io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
            raw.body(), io.fabric8.kubernetes.api.model.Status.class);
    assertThat(status.getMessage())
        .isEqualTo("Cannot evict pod as it would violate the pod's disruption budget.");
    assertThat(status.getReason()).isEqualTo("TooManyRequests");
    assertThat(status.getDetails().getCauses().get(0).getMessage())
        .isEqualTo("The disruption budget web-pdb needs 2 healthy pods and has 2 currently");
    assertThat(
            client.pods().inNamespace(ns).withName("a").get().getMetadata().getDeletionTimestamp())
        .isNull();

    // A third healthy pod gives the budget one disruption: the eviction now passes, once.
    running(pod("c", "n1", Map.of("app", "web")));
    assertThat(client.pods().inNamespace(ns).withName("a").evict()).isTrue();
    Pod evicted = client.pods().inNamespace(ns).withName("a").get();
    assertThat(evicted.getMetadata().getDeletionTimestamp()).isEqualTo("2024-01-01T00:00:30Z");
    assertThat(evicted.getStatus().getConditions())
        .anySatisfy(
            c -> {
              assertThat(c.getType()).isEqualTo("DisruptionTarget");
              assertThat(c.getReason()).isEqualTo("EvictionByEvictionAPI");
            });
    assertThat(client.pods().inNamespace(ns).withName("b").evict()).isFalse();
    assertThat(a.getMetadata().getUid()).isNotEmpty();
  }

  @Test
  void evictionOfUnknownPodIs404AndUidMismatchIs409() {
    assertThatThrownBy(() -> client.pods().inNamespace(ns).withName("ghost").evict())
        .isInstanceOfSatisfying(
            KubernetesClientException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(404);
              assertThat(e.getStatus().getMessage()).isEqualTo("pods \"ghost\" not found");
            });
    pod("p", "n1", Map.of());
    Eviction eviction =
        new EvictionBuilder()
            .withNewMetadata()
            .withName("p")
            .withNamespace(ns)
            .endMetadata()
            .withDeleteOptions(
                new io.fabric8.kubernetes.api.model.DeleteOptionsBuilder()
                    .withNewPreconditions()
                    .withUid("not-the-uid")
                    .endPreconditions()
                    .build())
            .build();
    assertThatThrownBy(() -> client.pods().inNamespace(ns).withName("p").evict(eviction))
        .isInstanceOfSatisfying(
            KubernetesClientException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(409);
              assertThat(e.getMessage())
                  .contains("Precondition failed: UID in precondition: not-the-uid");
            });
  }

  @Test
  void bindingSetsNodeAndBindingABoundPodIs409() {
    pod("p", null, Map.of());
    Binding binding =
        new BindingBuilder()
            .withNewMetadata()
            .withName("p")
            .endMetadata()
            .withNewTarget()
            .withKind("Node")
            .withName("node-a")
            .endTarget()
            .build();
    client.bindings().inNamespace(ns).resource(binding).create();
    Pod bound = client.pods().inNamespace(ns).withName("p").get();
    assertThat(bound.getSpec().getNodeName()).isEqualTo("node-a");
    assertThat(bound.getStatus().getConditions())
        .anySatisfy(
            c -> {
              assertThat(c.getType()).isEqualTo("PodScheduled");
              assertThat(c.getStatus()).isEqualTo("True");
            });
    assertThatThrownBy(() -> client.bindings().inNamespace(ns).resource(binding).create())
        .isInstanceOfSatisfying(
            KubernetesClientException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(409);
              assertThat(e.getStatus().getMessage())
                  .isEqualTo(
                      "Operation cannot be fulfilled on pods/binding \"p\": pod p is already assigned to node \"node-a\"");
            });
  }

  @Test
  void podsBindingSubresourceWorksToo() {
    pod("p", null, Map.of());
    client.raw(
        server.url() + "/api/v1/namespaces/" + ns + "/pods/p/binding",
        "POST",
        Map.of(
            "apiVersion",
            "v1",
            "kind",
            "Binding",
            "metadata",
            Map.of("name", "p"),
            "target",
            Map.of("kind", "Node", "name", "n9")));
    assertThat(client.pods().inNamespace(ns).withName("p").get().getSpec().getNodeName())
        .isEqualTo("n9");
  }

  @Test
  void statusSubresourceChangesOnlyStatusAndMainEndpointIgnoresStatus() {
    Node node =
        client
            .nodes()
            .resource(
                new NodeBuilder()
                    .withNewMetadata()
                    .withName("st-" + ns)
                    .endMetadata()
                    .withNewStatus()
                    .addToAllocatable("cpu", new Quantity("4"))
                    .endStatus()
                    .build())
            .create();
    assertThat(node.getStatus().getAllocatable()).containsKey("cpu");
    node.getStatus()
        .setConditions(
            List.of(new NodeConditionBuilder().withType("Ready").withStatus("True").build()));
    node.getMetadata().getLabels().put("ignored-by-status", "x");
    Node afterStatus = client.nodes().resource(node).updateStatus();
    assertThat(afterStatus.getStatus().getConditions()).hasSize(1);
    assertThat(afterStatus.getMetadata().getLabels()).doesNotContainKey("ignored-by-status");

    Node patched =
        client
            .nodes()
            .withName("st-" + ns)
            .patchStatus(
                new NodeBuilder(afterStatus)
                    .editStatus()
                    .addToAllocatable("memory", new Quantity("8Gi"))
                    .endStatus()
                    .build());
    assertThat(patched.getStatus().getAllocatable()).containsKeys("cpu", "memory");

    Node edited =
        client
            .nodes()
            .withName("st-" + ns)
            .edit(
                n ->
                    new NodeBuilder(n)
                        .editMetadata()
                        .addToLabels("l", "v")
                        .endMetadata()
                        .editStatus()
                        .withConditions(List.of())
                        .endStatus()
                        .build());
    assertThat(edited.getMetadata().getLabels()).containsEntry("l", "v");
    assertThat(edited.getStatus().getConditions()).hasSize(1);

    Pod p = pod("p", "n1", Map.of());
    Pod ps =
        client
            .pods()
            .inNamespace(ns)
            .resource(
                new PodBuilder(p)
                    .editStatus()
                    .withPhase("Running")
                    .withPodIP("10.0.0.1")
                    .endStatus()
                    .build())
            .updateStatus();
    assertThat(ps.getStatus().getPodIP()).isEqualTo("10.0.0.1");
  }

  @Test
  void podSpecIsImmutableExceptImagesAndTolerations() {
    pod("p", "n1", Map.of());
    assertThatThrownBy(
            () ->
                client
                    .pods()
                    .inNamespace(ns)
                    .withName("p")
                    .edit(
                        x -> new PodBuilder(x).editSpec().withNodeName("other").endSpec().build()))
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(422));
    Pod changed =
        client
            .pods()
            .inNamespace(ns)
            .withName("p")
            .edit(
                x ->
                    new PodBuilder(x)
                        .editSpec()
                        .editFirstContainer()
                        .withImage("busybox:2")
                        .endContainer()
                        .endSpec()
                        .build());
    assertThat(changed.getSpec().getContainers().get(0).getImage()).isEqualTo("busybox:2");
  }

  @Test
  void fieldSelectorsFilterListsIncludingNotEquals() {
    pod("on-a", "node-a", Map.of());
    pod("on-b", "node-b", Map.of());
    pod("unbound", null, Map.of());
    assertThat(
            names(
                client
                    .pods()
                    .inNamespace(ns)
                    .withField("spec.nodeName", "node-a")
                    .list()
                    .getItems()))
        .containsExactly("on-a");
    assertThat(
            names(client.pods().inNamespace(ns).withField("spec.nodeName", "").list().getItems()))
        .containsExactly("unbound");
    assertThat(
            names(
                client
                    .pods()
                    .inNamespace(ns)
                    .withoutField("spec.nodeName", "node-a")
                    .list()
                    .getItems()))
        .containsExactlyInAnyOrder("on-b", "unbound");
    running(client.pods().inNamespace(ns).withName("on-b").get());
    assertThat(
            names(
                client
                    .pods()
                    .inNamespace(ns)
                    .withField("status.phase", "Running")
                    .list()
                    .getItems()))
        .containsExactly("on-b");
    assertThat(names(client.pods().inNamespace(ns).withLabelIn("nothing", "x").list().getItems()))
        .isEmpty();

    Pod target = client.pods().inNamespace(ns).withName("on-a").get();
    event("e1", target, "FailedScheduling");
    event("e2", client.pods().inNamespace(ns).withName("on-b").get(), "Scheduled");
    List<Event> events =
        client
            .v1()
            .events()
            .inNamespace(ns)
            .withField("involvedObject.name", "on-a")
            .withField("involvedObject.kind", "Pod")
            .withField("involvedObject.uid", target.getMetadata().getUid())
            .withField("involvedObject.namespace", ns)
            .list()
            .getItems();
    assertThat(events).extracting(e -> e.getMetadata().getName()).containsExactly("e1");
    assertThat(
            client.v1().events().inNamespace(ns).withField("reason", "Scheduled").list().getItems())
        .hasSize(1);
  }

  @Test
  void unsupportedFieldSelectorIs400() {
    assertThatThrownBy(() -> client.pods().inNamespace(ns).withField("spec.foo", "x").list())
        .isInstanceOfSatisfying(
            KubernetesClientException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(400);
              assertThat(e.getStatus().getMessage())
                  .isEqualTo("field label not supported: spec.foo");
            });
  }

  private void event(String name, Pod pod, String reason) {
    client
        .v1()
        .events()
        .inNamespace(ns)
        .resource(
            new EventBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withNewInvolvedObject()
                .withKind("Pod")
                .withName(pod.getMetadata().getName())
                .withNamespace(ns)
                .withUid(pod.getMetadata().getUid())
                .endInvolvedObject()
                .withReason(reason)
                .withMessage("m")
                .withType("Normal")
                .build())
        .create();
  }

  @Test
  void fieldSelectorsFilterWatchesAndAPodLeavingTheSelectionIsDeleted() {
    List<String> seen = new CopyOnWriteArrayList<>();
    Watch w =
        client
            .pods()
            .inNamespace(ns)
            .withField("spec.nodeName", "node-a")
            .withoutField("status.phase", "Succeeded")
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, Pod pod) {
                    seen.add(action + " " + pod.getMetadata().getName());
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                });
    try {
      pod("x", "node-b", Map.of());
      pod("y", "node-a", Map.of());
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("ADDED y"));
      client
          .pods()
          .inNamespace(ns)
          .withName("y")
          .editStatus(
              p -> new PodBuilder(p).editStatus().withPhase("Succeeded").endStatus().build());
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("DELETED y"));
      assertThat(seen).noneMatch(s -> s.endsWith(" x"));
    } finally {
      w.close();
    }
  }

  @Test
  void gracefulDeletionSetsDeletionTimestampAndGraceZeroRemoves() {
    Pod p = pod("g", "n1", Map.of());
    List<String> seen = new CopyOnWriteArrayList<>();
    Watch w =
        client
            .pods()
            .inNamespace(ns)
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, Pod pod) {
                    seen.add(
                        action
                            + " "
                            + pod.getMetadata().getName()
                            + " "
                            + pod.getMetadata().getDeletionTimestamp());
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                });
    try {
      client.pods().inNamespace(ns).withName("g").withGracePeriod(45).delete();
      Pod terminating = client.pods().inNamespace(ns).withName("g").get();
      assertThat(terminating.getMetadata().getDeletionTimestamp())
          .isEqualTo(clock.instant().plusSeconds(45).toString());
      assertThat(terminating.getMetadata().getDeletionGracePeriodSeconds()).isEqualTo(45L);
      client.pods().inNamespace(ns).withName("g").withGracePeriod(0).delete();
      assertThat(client.pods().inNamespace(ns).withName("g").get()).isNull();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> seen.stream().anyMatch(s -> s.startsWith("DELETED g")));
      assertThat(seen).anyMatch(s -> s.startsWith("MODIFIED g 2024"));
      assertThat(p.getMetadata().getUid()).isNotEmpty();
    } finally {
      w.close();
    }
  }

  @Test
  void unboundPodsAreDeletedAtOnce() {
    pod("u", null, Map.of());
    client.pods().inNamespace(ns).withName("u").delete();
    assertThat(client.pods().inNamespace(ns).withName("u").get()).isNull();
  }

  @Test
  void finalizersDelayRemovalUntilCleared() {
    client
        .configMaps()
        .inNamespace(ns)
        .resource(
            new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                .withNewMetadata()
                .withName("cm")
                .withFinalizers("x/y")
                .endMetadata()
                .build())
        .create();
    client.configMaps().inNamespace(ns).withName("cm").delete();
    assertThat(
            client
                .configMaps()
                .inNamespace(ns)
                .withName("cm")
                .get()
                .getMetadata()
                .getDeletionTimestamp())
        .isNotNull();
    client
        .configMaps()
        .inNamespace(ns)
        .withName("cm")
        .edit(
            c -> {
              c.getMetadata().setFinalizers(List.of());
              return c;
            });
    assertThat(client.configMaps().inNamespace(ns).withName("cm").get()).isNull();
  }

  @Test
  void optimisticConcurrencyConflictIs409() {
    Pod p = pod("occ", "n1", Map.of());
    client
        .pods()
        .inNamespace(ns)
        .withName("occ")
        .edit(x -> new PodBuilder(x).editMetadata().addToLabels("a", "b").endMetadata().build());
    p.getMetadata().getLabels().put("c", "d");
    assertThatThrownBy(() -> client.pods().inNamespace(ns).resource(p).update())
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
  }

  /**
   * A patch that carries {@code metadata.resourceVersion} is conditional on it, whatever its type:
   * the Kubernetes API concepts ("Updates to existing resources") let a client make a PATCH
   * conditional on the existing {@code resourceVersion}, and kube-apiserver's store refuses a stale
   * one with 409 Conflict (its {@code OptimisticLockErrorMsg}) and changes nothing. The
   * idle-detector's claims on member nodes rely on it.
   */
  @Test
  void aPatchCarryingAStaleResourceVersionIsAConflictWhateverItsType() {
    String name = "occ-" + ns;
    String stale =
        client
            .nodes()
            .resource(new NodeBuilder().withNewMetadata().withName(name).endMetadata().build())
            .create()
            .getMetadata()
            .getResourceVersion();
    String current =
        client
            .nodes()
            .withName(name)
            .edit(
                n -> new NodeBuilder(n).editMetadata().addToLabels("x", "y").endMetadata().build())
            .getMetadata()
            .getResourceVersion();
    String merge =
        "{\"metadata\":{\"resourceVersion\":\"%s\",\"labels\":{\"gleaner.io/lent-by\":\"b\"}}}";
    String json =
        "[{\"op\":\"replace\",\"path\":\"/metadata/resourceVersion\",\"value\":\"%s\"},"
            + "{\"op\":\"add\",\"path\":\"/metadata/labels/gleaner.io~1lent-by\",\"value\":\"b\"}]";
    Map<PatchType, String> patches =
        Map.of(
            PatchType.JSON_MERGE, merge,
            PatchType.STRATEGIC_MERGE, merge,
            PatchType.JSON, json);
    patches.forEach(
        (type, body) ->
            assertThatThrownBy(
                    () ->
                        client
                            .nodes()
                            .withName(name)
                            .patch(PatchContext.of(type), body.formatted(stale)))
                .as(type.name())
                .isInstanceOfSatisfying(
                    KubernetesClientException.class,
                    e -> {
                      io.fabric8.kubernetes.api.model.Status s = e.getStatus();
                      assertThat(s.getCode()).isEqualTo(409);
                      assertThat(s.getStatus()).isEqualTo("Failure");
                      assertThat(s.getReason()).isEqualTo("Conflict");
                      assertThat(s.getMessage())
                          .isEqualTo(
                              "Operation cannot be fulfilled on nodes \""
                                  + name
                                  + "\": the object has been modified; please apply your changes"
                                  + " to the latest version and try again");
                      assertThat(s.getDetails().getName()).isEqualTo(name);
                      assertThat(s.getDetails().getKind()).isEqualTo("nodes");
                      assertThat(s.getDetails().getGroup()).isNullOrEmpty();
                    }));
    Node unchanged = client.nodes().withName(name).get();
    assertThat(unchanged.getMetadata().getResourceVersion()).isEqualTo(current);
    assertThat(unchanged.getMetadata().getLabels()).doesNotContainKey("gleaner.io/lent-by");

    // the version the node is at: applied, as each type would
    Node patched =
        client
            .nodes()
            .withName(name)
            .patch(PatchContext.of(PatchType.JSON_MERGE), merge.formatted(current));
    assertThat(patched.getMetadata().getLabels()).containsEntry("gleaner.io/lent-by", "b");
    assertThat(patched.getMetadata().getResourceVersion()).isNotEqualTo(current);
    client.nodes().withName(name).delete();
  }

  @Test
  void mergePatchWithNullRemovesALabel() {
    pod("mp", "n1", Map.of("gleaner.io/pool", "idle", "keep", "me"));
    client
        .pods()
        .inNamespace(ns)
        .withName("mp")
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"metadata\":{\"labels\":{\"gleaner.io/pool\":null}}}");
    assertThat(client.pods().inNamespace(ns).withName("mp").get().getMetadata().getLabels())
        .containsExactly(Map.entry("keep", "me"));
  }

  @Test
  void customResourcesFromACrdAreServed() {
    client
        .apiextensions()
        .v1()
        .customResourceDefinitions()
        .resource(
            new io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder()
                .withNewMetadata()
                .withName("widgets.example.com")
                .endMetadata()
                .withNewSpec()
                .withGroup("example.com")
                .withScope("Namespaced")
                .withNewNames()
                .withKind("Widget")
                .withPlural("widgets")
                .withSingular("widget")
                .endNames()
                .addNewVersion()
                .withName("v1")
                .withServed(true)
                .withStorage(true)
                .withNewSubresources()
                .withNewStatus()
                .endStatus()
                .endSubresources()
                .endVersion()
                .endSpec()
                .build())
        .createOr(c -> c.update());
    GenericKubernetesResource w = new GenericKubernetesResource();
    w.setApiVersion("example.com/v1");
    w.setKind("Widget");
    w.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("w1").build());
    w.setAdditionalProperty("spec", Map.of("size", 3));
    w.setAdditionalProperty("status", Map.of("ok", true));
    GenericKubernetesResource created =
        client
            .genericKubernetesResources("example.com/v1", "Widget")
            .inNamespace(ns)
            .resource(w)
            .create();
    assertThat(created.getAdditionalProperties()).doesNotContainKey("status");
    assertThat(
            client
                .genericKubernetesResources("example.com/v1", "Widget")
                .inNamespace(ns)
                .list()
                .getItems())
        .hasSize(1);
  }

  /**
   * kube-apiserver answers a watch request at once, before any event: client-go's reflector blocks
   * on the response head, and kubectl delete --wait, whose pod was gone by the time its watch
   * started, waited for an event that never came (until the watch's timeout, minutes).
   */
  @Test
  void aWatchIsAnsweredBeforeItsFirstEvent() throws Exception {
    java.net.http.HttpClient http =
        java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1)
            .sslContext(server.security().ca().sslContext(server.security().admin()))
            .build();
    java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<java.io.InputStream>> watch =
        http.sendAsync(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(
                        server.url()
                            + "/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=300"
                            + "&fieldSelector=metadata.name%3Dnever-created"))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofInputStream());

    java.net.http.HttpResponse<java.io.InputStream> head =
        watch.get(20, java.util.concurrent.TimeUnit.SECONDS);
    try (java.io.InputStream body = head.body()) {
      assertThat(head.statusCode()).isEqualTo(200);
      assertThat(head.headers().firstValue("Content-Type")).hasValue("application/json");
    }
  }

  record RawResponse(int code, String body) {}

  static RawResponse post(String path, String json) {
    try {
      java.net.http.HttpResponse<String> r =
          java.net.http.HttpClient.newBuilder()
              .sslContext(server.security().ca().sslContext(server.security().admin()))
              .build()
              .send(
                  java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.url() + path))
                      .header("Content-Type", "application/json")
                      .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json))
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString());
      return new RawResponse(r.statusCode(), r.body());
    } catch (java.io.IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void informersSeeAddUpdateDeleteAndWatchesResumeFromAResourceVersion() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    var informer =
        client
            .pods()
            .inNamespace(ns)
            .inform(
                new io.fabric8.kubernetes.client.informers.ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Pod obj) {
                    seen.add("add " + obj.getMetadata().getName());
                  }

                  @Override
                  public void onUpdate(Pod oldObj, Pod newObj) {
                    seen.add("update " + newObj.getMetadata().getName());
                  }

                  @Override
                  public void onDelete(Pod obj, boolean deletedFinalStateUnknown) {
                    seen.add("delete " + obj.getMetadata().getName());
                  }
                });
    try {
      pod("inf", null, Map.of());
      client
          .pods()
          .inNamespace(ns)
          .withName("inf")
          .edit(p -> new PodBuilder(p).editMetadata().addToLabels("x", "y").endMetadata().build());
      client.pods().inNamespace(ns).withName("inf").delete();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> seen.containsAll(List.of("add inf", "update inf", "delete inf")));
    } finally {
      informer.close();
    }

    String rv = client.pods().inNamespace(ns).list().getMetadata().getResourceVersion();
    pod("after-list", null, Map.of());
    List<String> resumed = new CopyOnWriteArrayList<>();
    try (Watch w =
        client
            .pods()
            .inNamespace(ns)
            .withResourceVersion(rv)
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, Pod pod) {
                    resumed.add(action + " " + pod.getMetadata().getName());
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                })) {
      await().atMost(Duration.ofSeconds(10)).until(() -> resumed.contains("ADDED after-list"));
      assertThat(resumed).doesNotContain("ADDED inf");
    }
  }

  private static List<String> names(List<Pod> pods) {
    return pods.stream().map(p -> p.getMetadata().getName()).toList();
  }

  /** Gleaner's PriorityClasses, for quotas scoped to them (created once). */
  private static void gleanerPriorityClasses() {
    for (String pc : new String[] {"gleaner-offline", "gleaner-near-line"}) {
      if (client.scheduling().v1().priorityClasses().withName(pc).get() == null) {
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
  }

  // ResourceQuota on pod create, as kube-apiserver's ResourceQuota admission and the quota
  // controller keep it: 403 Forbidden with the real message, status.hard and status.used, scopes
  // and scope selectors on PriorityClass.

  private Pod quotaPod(String name, String cpu, String priorityClass) {
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

  private ResourceQuota readQuota(String name) {
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
    assertThat(readQuota("cap").getStatus().getHard()).containsKeys("requests.cpu", "pods");
    assertThat(readQuota("cap").getStatus().getUsed())
        .containsEntry("requests.cpu", new Quantity("0"))
        .containsEntry("pods", new Quantity("0"));

    quotaPod("a", "2", null);
    quotaPod("b", "1", null);
    assertThat(readQuota("cap").getStatus().getUsed())
        .containsEntry("requests.cpu", new Quantity("3"))
        .containsEntry("pods", new Quantity("2"));

    assertThatThrownBy(() -> quotaPod("x", "2", null))
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

    quotaPod("y", "1", null); // exactly at the limit
    assertThat(readQuota("cap").getStatus().getUsed())
        .containsEntry("requests.cpu", new Quantity("4"));
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
    quotaPod("a", "1500m", null);
    assertThatThrownBy(() -> quotaPod("b", "1", null))
        .hasMessageContaining("exceeded quota: cap, requested: cpu=1, used: cpu=1500m");

    client.pods().inNamespace(ns).withName("a").withGracePeriod(0).delete();
    assertThat(readQuota("cap").getStatus().getUsed()).containsEntry("cpu", new Quantity("0"));
    quotaPod("b", "1", null);
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
    assertThat(readQuota("cap").getStatus().getUsed()).containsEntry("cpu", new Quantity("0"));

    ResourceQuota q = readQuota("cap");
    q.getSpec().getHard().put("cpu", new Quantity("1"));
    client.resourceQuotas().inNamespace(ns).resource(q).update();
    assertThat(readQuota("cap").getStatus().getHard()).containsEntry("cpu", new Quantity("1"));
    assertThatThrownBy(() -> quotaPod("c", "1500m", null)).hasMessageContaining("limited: cpu=1");
  }

  @Test
  void aQuotaScopedToPriorityClassesCountsOnlyThePodsOfThoseClasses() {
    gleanerPriorityClasses();
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
    quotaPod("online", "8", null); // not in scope
    quotaPod("off", "1", "gleaner-offline");
    quotaPod("near", "1", "gleaner-near-line");
    assertThat(readQuota("gleaner").getStatus().getUsed())
        .containsEntry("requests.cpu", new Quantity("2"));
    assertThatThrownBy(() -> quotaPod("more", "500m", "gleaner-offline"))
        .hasMessageContaining("exceeded quota: gleaner, requested: requests.cpu=500m");
    quotaPod("online-2", "8", null);
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
    quotaPod("best-effort", null, null); // BestEffort: outside the scope
    assertThatThrownBy(() -> quotaPod("cpu-only", "1", null))
        .isInstanceOfSatisfying(
            KubernetesClientException.class,
            e ->
                assertThat(e.getStatus().getMessage())
                    .isEqualTo(
                        "pods \"cpu-only\" is forbidden: failed quota: cap: must specify"
                            + " requests.memory"));
  }
}
