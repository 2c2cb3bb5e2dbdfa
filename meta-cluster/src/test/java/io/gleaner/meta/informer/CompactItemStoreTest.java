package io.gleaner.meta.informer;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class CompactItemStoreTest {
  private static Pod pod(String name) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("ml-batch")
        .withUid("uid-" + name)
        .withResourceVersion("42")
        .addToLabels("gleaner.io/class", "offline")
        .addToLabels("job-name", "train")
        .addToAnnotations("gleaner.io/cluster", "online-3")
        .endMetadata()
        .withNewSpec()
        .withNodeName("gleaner")
        .addNewContainer()
        .withName("main")
        .withImage("busybox:1.36")
        .withNewResources()
        .addToRequests("cpu", new Quantity("500m"))
        .addToRequests("memory", new Quantity("1Gi"))
        .endResources()
        .endContainer()
        .addNewToleration()
        .withKey("node.kubernetes.io/unreachable")
        .withOperator("Exists")
        .withEffect("NoExecute")
        .endToleration()
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .withPodIP("10.1.2.3")
        .withStartTime("2026-12-03T10:00:00Z")
        .addNewCondition()
        .withType("Ready")
        .withStatus("True")
        .withLastTransitionTime("2026-12-03T10:00:05Z")
        .endCondition()
        .addNewContainerStatus()
        .withName("main")
        .withReady(true)
        .withRestartCount(0)
        .withNewState()
        .withNewRunning()
        .withStartedAt("2026-12-03T10:00:04Z")
        .endRunning()
        .endState()
        .endContainerStatus()
        .endStatus()
        .build();
  }

  @Test
  void objectsComeBackEqualAndTheOldOneIsReturnedOnReplace() {
    CompactItemStore<Pod> store = new CompactItemStore<>(Pod.class, Cache::metaNamespaceKeyFunc);
    Pod a = pod("a");
    String key = store.getKey(a);
    assertThat(key).isEqualTo("ml-batch/a");
    assertThat(store.put(key, a)).isNull();
    assertThat(store.get(key)).isEqualTo(a).isNotSameAs(a);
    Pod changed = new PodBuilder(a).editStatus().withPhase("Succeeded").endStatus().build();
    assertThat(store.put(key, changed)).isEqualTo(a);
    assertThat(store.get(key).getStatus().getPhase()).isEqualTo("Succeeded");
    store.put("ml-batch/b", pod("b"));
    assertThat(store.size()).isEqualTo(2);
    assertThat(store.keySet().collect(Collectors.toSet()))
        .containsExactlyInAnyOrder("ml-batch/a", "ml-batch/b");
    assertThat(store.values().map(p -> p.getMetadata().getName()))
        .containsExactlyInAnyOrder("a", "b");
    assertThat(store.remove(key)).isEqualTo(changed);
    assertThat(store.get(key)).isNull();
    assertThat(store.remove(key)).isNull();
  }

  @Test
  void aPodTakesAFewHundredBytes() {
    CompactItemStore<Pod> store = new CompactItemStore<>(Pod.class, Cache::metaNamespaceKeyFunc);
    Pod p = pod("train-worker-0");
    int json = Serialization.asJson(p).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    store.put(store.getKey(p), p);
    assertThat(store.storedBytes()).isLessThan(json / 3).isLessThan(400);
  }

  @Test
  void readsFromManyThreadsSeeWholeObjects() throws Exception {
    CompactItemStore<Pod> store = new CompactItemStore<>(Pod.class, Cache::metaNamespaceKeyFunc);
    for (int i = 0; i < 100; i++) {
      store.put("ml-batch/p" + i, pod("p" + i));
    }
    java.util.List<Thread> threads = new java.util.ArrayList<>();
    java.util.concurrent.atomic.AtomicInteger bad = new java.util.concurrent.atomic.AtomicInteger();
    for (int t = 0; t < 4; t++) {
      Thread th =
          new Thread(
              () -> {
                for (int r = 0; r < 2000; r++) {
                  int i = r % 100;
                  Pod got = store.get("ml-batch/p" + i);
                  if (got == null || !("p" + i).equals(got.getMetadata().getName())) {
                    bad.incrementAndGet();
                  }
                }
              });
      threads.add(th);
      th.start();
    }
    for (Thread th : threads) {
      th.join();
    }
    assertThat(bad.get()).isZero();
  }

  @Test
  void theSecondaryKeyAndTagFollowTheObject() {
    CompactItemStore<Pod> store =
        new CompactItemStore<>(
            Pod.class,
            Cache::metaNamespaceKeyFunc,
            p -> p.getMetadata().getUid(),
            p -> p.getStatus().getPhase());
    Pod a = pod("a");
    store.put("ml-batch/a", a);
    assertThat(store.bySecondaryKey("uid-a")).isEqualTo(a);
    assertThat(store.tags()).containsExactly("Running");
    // a new incarnation under the same name: the old secondary key goes
    Pod again =
        new PodBuilder(a)
            .editMetadata()
            .withUid("uid-a2")
            .endMetadata()
            .editStatus()
            .withPhase("Pending")
            .endStatus()
            .build();
    store.put("ml-batch/a", again);
    assertThat(store.bySecondaryKey("uid-a")).isNull();
    assertThat(store.bySecondaryKey("uid-a2")).isEqualTo(again);
    assertThat(store.tags()).containsExactly("Pending");
    store.remove("ml-batch/a");
    assertThat(store.bySecondaryKey("uid-a2")).isNull();
    assertThat(store.bySecondaryKey(null)).isNull();
  }

  @Test
  void removingOneOfTwoObjectsWithTheSameSecondaryKeyLeavesTheOtherFindable() {
    CompactItemStore<Pod> store =
        new CompactItemStore<>(
            Pod.class,
            Cache::metaNamespaceKeyFunc,
            p -> p.getMetadata().getLabels().get("job-name"),
            p -> null);
    store.put("ml-batch/a", pod("a"));
    store.put("ml-batch/b", pod("b"));
    store.remove("ml-batch/a");
    assertThat(store.bySecondaryKey("train").getMetadata().getName()).isEqualTo("b");
  }
}
