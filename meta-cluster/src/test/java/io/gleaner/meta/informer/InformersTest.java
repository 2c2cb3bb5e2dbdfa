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
