package io.gleaner.vk.pod;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The mirrored event's write asks only for what the chart grants the virtual-kubelet on events:
 * create, and patch when it exists. A read (get) would be refused by RBAC.
 */
@EnableKubernetesMockClient(https = false)
class EventMirrorIT {
  KubernetesMockServer server;
  KubernetesClient client;

  @Test
  void anEventThatExistsIsPatchedWithoutBeingRead() throws Exception {
    Event out = event();
    server
        .expect()
        .post()
        .withPath("/api/v1/namespaces/ml-batch/events")
        .andReturn(
            409,
            new StatusBuilder()
                .withCode(409)
                .withReason("AlreadyExists")
                .withMessage("events \"train-2-worker-1.abc\" already exists")
                .build())
        .once();
    server
        .expect()
        .patch()
        .withPath("/api/v1/namespaces/ml-batch/events/train-2-worker-1.abc")
        .andReturn(200, out)
        .once();

    assertThat(EventMirror.write(client, out)).isTrue();

    List<String> requests = new ArrayList<>();
    RecordedRequest r;
    while ((r = server.takeRequest(100, TimeUnit.MILLISECONDS)) != null) {
      requests.add(r.getMethod() + " " + r.getPath());
    }
    assertThat(requests)
        .containsExactly(
            "POST /api/v1/namespaces/ml-batch/events",
            "PATCH /api/v1/namespaces/ml-batch/events/train-2-worker-1.abc");
  }

  @Test
  void anotherRefusalIsNotRetriedAsAPatch() throws Exception {
    server
        .expect()
        .post()
        .withPath("/api/v1/namespaces/ml-batch/events")
        .andReturn(403, new StatusBuilder().withCode(403).withReason("Forbidden").build())
        .once();

    assertThat(EventMirror.write(client, event())).isFalse();
    assertThat(server.getRequestCount()).isOne();
  }

  private static Event event() {
    return new EventBuilder()
        .withNewMetadata()
        .withName("train-2-worker-1.abc")
        .withNamespace("ml-batch")
        .endMetadata()
        .withReason("FailedScheduling")
        .withMessage("[train-1] 0/6 nodes are available")
        .withCount(3)
        .withLastTimestamp("2026-12-06T10:57:38Z")
        .build();
  }
}
