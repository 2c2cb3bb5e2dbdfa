package io.gleaner.meta.informer;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.impl.cache.CacheImpl;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class IndexLookupTest {
  private static Pod pod(int generation) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("p")
        .withNamespace("ns")
        .withUid("uid-1")
        .withResourceVersion(Integer.toString(generation))
        .addToLabels("owner", "o-1")
        .endMetadata()
        .build();
  }

  @Test
  void objectUpdatedInPlaceIsNeverMissing() throws InterruptedException {
    CacheImpl<Pod> cache =
        new CacheImpl<>("namespace", Cache::metaNamespaceIndexFunc, Cache::metaNamespaceKeyFunc);
    cache.addIndexers(Map.of("owner", p -> List.of(p.getMetadata().getLabels().get("owner"))));
    cache.put(pod(0));
    AtomicBoolean stop = new AtomicBoolean();
    Thread writer =
        new Thread(
            () -> {
              for (int g = 1; !stop.get(); g++) {
                cache.put(pod(g)); // same index value: an update like a pod status change
              }
            });
    writer.start();
    int missed = 0;
    try {
      for (int i = 0; i < 200_000; i++) {
        if (IndexLookup.byIndex(cache, "owner", "o-1").isEmpty()) {
          missed++;
        }
      }
    } finally {
      stop.set(true);
      writer.join();
    }
    assertThat(missed).as("lookups that saw the pod vanish during an update").isZero();
  }
}
