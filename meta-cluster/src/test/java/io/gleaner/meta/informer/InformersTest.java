package io.gleaner.meta.informer;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ExceptionHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class InformersTest {
  private static final KubernetesClientException NOT_FOUND =
      new KubernetesClientException("the server could not find the requested resource", 404, null);
  private static final KubernetesClientException UNAVAILABLE =
      new KubernetesClientException("service unavailable", 503, null);
  private static final KubernetesClientException REFUSED =
      new KubernetesClientException("Operation: [list] failed", new ConnectException("refused"));

  @Test
  void keepRetryingRetriesEveryFailureBeforeAndAfterTheFirstList() {
    AtomicReference<ExceptionHandler> handler = new AtomicReference<>();
    List<Throwable> seen = new ArrayList<>();
    Informers.keepRetrying(informer(handler), log(), "pods of a", seen::add);

    for (Throwable t : List.of(NOT_FOUND, UNAVAILABLE, REFUSED, new IOException("reset"))) {
      assertThat(handler.get().retryAfterException(false, t)).as("first list: %s", t).isTrue();
      assertThat(handler.get().retryAfterException(true, t)).as("watch: %s", t).isTrue();
    }
    assertThat(seen).hasSize(8);
  }

  @Test
  void aKindTheClusterDoesNotServeStopsOnlyOn404() {
    AtomicReference<ExceptionHandler> handler = new AtomicReference<>();
    Informers.keepRetryingUnlessNotServed(informer(handler), log(), "PodGroups of a");

    assertThat(handler.get().retryAfterException(false, NOT_FOUND)).isFalse();
    assertThat(handler.get().retryAfterException(false, new RuntimeException("x", NOT_FOUND)))
        .as("wrapped 404")
        .isFalse();
    assertThat(handler.get().retryAfterException(false, UNAVAILABLE)).isTrue();
    assertThat(handler.get().retryAfterException(false, REFUSED)).isTrue();
    assertThat(handler.get().retryAfterException(true, UNAVAILABLE)).isTrue();
  }

  @Test
  void notServedLooksThroughCausesOnly() {
    assertThat(Informers.notServed(NOT_FOUND)).isTrue();
    assertThat(Informers.notServed(new IllegalStateException(NOT_FOUND))).isTrue();
    assertThat(Informers.notServed(UNAVAILABLE)).isFalse();
    assertThat(Informers.notServed(REFUSED)).isFalse();
    assertThat(Informers.notServed(new RuntimeException("404 in a message only"))).isFalse();
  }

  private static org.slf4j.Logger log() {
    return LoggerFactory.getLogger(InformersTest.class);
  }

  @SuppressWarnings("unchecked")
  private static SharedIndexInformer<Object> informer(AtomicReference<ExceptionHandler> handler) {
    return (SharedIndexInformer<Object>)
        Proxy.newProxyInstance(
            InformersTest.class.getClassLoader(),
            new Class<?>[] {SharedIndexInformer.class},
            (proxy, method, args) -> {
              if (method.getName().equals("exceptionHandler")) {
                handler.set((ExceptionHandler) args[0]);
                return null;
              }
              throw new UnsupportedOperationException(method.getName());
            });
  }
}
