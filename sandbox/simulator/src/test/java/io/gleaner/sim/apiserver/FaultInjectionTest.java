package io.gleaner.sim.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.http.HttpMethod;
import org.junit.jupiter.api.Test;

class FaultInjectionTest {
  @Test
  void listsAndWatchesAreGetsOfACollection() {
    assertThat(FaultInjection.isListOrWatch(HttpMethod.GET, "/api/v1/pods", "")).isTrue();
    assertThat(FaultInjection.isListOrWatch(HttpMethod.GET, "/api/v1/namespaces/a/pods", null))
        .isTrue();
    assertThat(FaultInjection.isListOrWatch(HttpMethod.GET, "/api/v1/namespaces", "")).isTrue();
    assertThat(
            FaultInjection.isListOrWatch(
                HttpMethod.GET, "/apis/gleaner.io/v1alpha1/memberclusters", "limit=500"))
        .isTrue();
    assertThat(
            FaultInjection.isListOrWatch(
                HttpMethod.GET, "/api/v1/namespaces/a/pods/p", "watch=true&fieldSelector=x"))
        .isTrue();
  }

  @Test
  void getsOfOneObjectWritesAndNonResourcePathsAreNot() {
    assertThat(FaultInjection.isListOrWatch(HttpMethod.GET, "/api/v1/namespaces/a", "")).isFalse();
    assertThat(FaultInjection.isListOrWatch(HttpMethod.GET, "/api/v1/namespaces/a/pods/p", ""))
        .isFalse();
    assertThat(FaultInjection.isListOrWatch(HttpMethod.POST, "/api/v1/namespaces/a/pods", ""))
        .isFalse();
    assertThat(FaultInjection.isListOrWatch(HttpMethod.GET, "/healthz", "")).isFalse();
    assertThat(FaultInjection.isListOrWatch(HttpMethod.GET, "/apis", "")).isFalse();
  }
}
