package io.gleaner.descheduler.trigger;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.gleaner.meta.resources.Resources;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PodViewsTest {
  @Test
  void aNativeSidecarCountsBesideTheAppContainers() {
    // The sidecar (an init container with restartPolicy Always) keeps running: the pod needs
    // 1 cpu + 500m, not max(1 cpu, 500m).
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withNamespace("web")
            .withName("p")
            .endMetadata()
            .withNewSpec()
            .addNewInitContainer()
            .withName("proxy")
            .withRestartPolicy("Always")
            .withNewResources()
            .withRequests(Map.of("cpu", new Quantity("500m")))
            .endResources()
            .endInitContainer()
            .addNewContainer()
            .withName("app")
            .withNewResources()
            .withRequests(Map.of("cpu", new Quantity("1")))
            .endResources()
            .endContainer()
            .endSpec()
            .build();
    assertThat(PodViews.requests(pod)).isEqualTo(Resources.of("cpu", "1500m", "pods", "1"));
  }
}
