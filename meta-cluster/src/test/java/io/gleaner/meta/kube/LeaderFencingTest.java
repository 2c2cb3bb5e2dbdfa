package io.gleaner.meta.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.StandardHttpRequest;
import io.gleaner.meta.coord.NotLeaderException;
import io.gleaner.meta.registry.MemberErrors;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class LeaderFencingTest {
  private final AtomicBoolean leads = new AtomicBoolean(true);
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final LeaderFencing fencing = new LeaderFencing(leads::get, meters);

  private static HttpRequest request(String method, String path) {
    HttpRequest.Builder b =
        new StandardHttpRequest.Builder().uri("https://api.example:6443" + path);
    if (method.equals("GET")) {
      return b.build();
    }
    return b.method(method, "application/json", "{}").build();
  }

  private void send(String method, String path) {
    HttpRequest r = request(method, path);
    fencing.before(new StandardHttpRequest.Builder(), r, null);
  }

  @Test
  void aLeaderWrites() {
    for (String method : new String[] {"POST", "PUT", "PATCH", "DELETE"}) {
      assertThatCode(() -> send(method, "/api/v1/namespaces/a/pods")).doesNotThrowAnyException();
    }
  }

  @Test
  void aReplicaThatMayNotActWritesNothingButReadsAndAsksAboutItself() {
    leads.set(false);
    for (String method : new String[] {"POST", "PUT", "PATCH", "DELETE"}) {
      assertThatThrownBy(() -> send(method, "/api/v1/namespaces/a/pods/p/status"))
          .isInstanceOf(NotLeaderException.class)
          .isInstanceOf(KubernetesClientException.class)
          .hasMessageContaining(method);
    }
    assertThat(meters.get(LeaderFencing.REFUSED_METER).tag("method", "PATCH").counter().count())
        .isEqualTo(1);
    assertThatCode(() -> send("GET", "/api/v1/pods?watch=true")).doesNotThrowAnyException();
    assertThatCode(() -> send("POST", "/apis/authentication.k8s.io/v1/tokenreviews"))
        .doesNotThrowAnyException();
    assertThatCode(() -> send("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews"))
        .doesNotThrowAnyException();
    assertThatCode(() -> send("POST", "/apis/certificates.k8s.io/v1/certificatesigningrequests"))
        .doesNotThrowAnyException();
  }

  @Test
  void aRefusalSaysNothingAboutTheMembersHealth() {
    NotLeaderException refused = new NotLeaderException("refused");
    assertThat(MemberErrors.isTransient(refused)).isFalse();
    assertThat(MemberErrors.isTransient(new KubernetesClientException("wrapped", refused)))
        .isFalse();
    assertThat(NotLeaderException.isCause(new RuntimeException(refused))).isTrue();
  }
}
