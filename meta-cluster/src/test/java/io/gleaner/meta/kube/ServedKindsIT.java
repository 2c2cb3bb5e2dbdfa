package io.gleaner.meta.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.APIResourceBuilder;
import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link ServedKinds} against a mock API server: each discovery answer, and no answer. */
class ServedKindsIT {
  private static final String PATH = "/apis/scheduling.volcano.sh/v1beta1";
  private static final Duration FAST = Duration.ofMillis(10);
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private KubernetesMockServer server;
  private KubernetesClient client;
  private final List<Throwable> retried = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    server = new KubernetesMockServer(false);
    server.init(InetAddress.getByName("127.0.0.1"), 0);
    try (KubernetesClient mock = server.createClient()) {
      // fabric8's own retries of a 5xx off: the test sees ServedKinds' retries
      client =
          new KubernetesClientBuilder()
              .withConfig(
                  new ConfigBuilder(mock.getConfiguration())
                      .withRequestRetryBackoffLimit(0)
                      .build())
              .build();
    }
  }

  @AfterEach
  void stop() {
    client.close();
    server.destroy();
  }

  private ServedKinds.Answer ask() {
    return ServedKinds.ask(client, VolcanoPodGroups.CONTEXT, () -> true, retried::add, FAST).join();
  }

  private static String listing(String... plurals) {
    APIResourceListBuilder list =
        new APIResourceListBuilder().withGroupVersion("scheduling.volcano.sh/v1beta1");
    for (String p : plurals) {
      list.addToResources(
          new APIResourceBuilder().withName(p).withKind("X").withNamespaced(true).build());
    }
    return JSON.asJson(list.build());
  }

  @Test
  void servedWhereTheGroupVersionListsThePlural() {
    server.expect().get().withPath(PATH).andReturn(200, listing("queues", "podgroups")).once();
    assertThat(ask()).isEqualTo(new ServedKinds.Answer(true, ""));
    assertThat(retried).isEmpty();
  }

  @Test
  void notServedOnA404OrWhereThePluralIsNotListed() {
    server.expect().get().withPath(PATH).andReturn(404, "{}").once();
    assertThat(ask()).isEqualTo(new ServedKinds.Answer(false, "404"));
    server.expect().get().withPath(PATH).andReturn(200, listing("queues")).once();
    assertThat(ask()).isEqualTo(new ServedKinds.Answer(false, "not listed"));
    server.expect().get().withPath(PATH).andReturn(403, "{}").once();
    assertThat(ask()).isEqualTo(new ServedKinds.Answer(false, "HTTP 403"));
    assertThat(retried).as("an answer is final").isEmpty();
  }

  @Test
  void noAnswerIsAskedAgainUntilTheClusterAnswers() {
    server.expect().get().withPath(PATH).andReturn(503, "busy").times(2);
    server.expect().get().withPath(PATH).andReturn(200, listing("podgroups")).once();
    assertThat(ask().served()).isTrue();
    assertThat(retried).hasSize(2);
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void nothingIsAskedOnceNoLongerWanted() {
    assertThatThrownBy(
            () ->
                ServedKinds.ask(client, VolcanoPodGroups.CONTEXT, () -> false, retried::add, FAST)
                    .join())
        .isInstanceOf(CancellationException.class);
    assertThat(server.getRequestCount()).isZero();
  }
}
