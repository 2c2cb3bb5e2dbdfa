package io.gleaner.sim.apiserver.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestInfoTest {
  private static final UserInfo U = UserInfo.of("u", "", List.of());

  private static Attributes r(String method, String path, Map<String, String> q) {
    return RequestInfo.resolve(U, method, path, q::get);
  }

  private static Attributes r(String method, String path) {
    return r(method, path, Map.of());
  }

  private static String show(Attributes a) {
    return a.resourceRequest()
        ? String.join(
            "|", a.verb(), a.apiGroup(), a.resource(), a.subresource(), a.namespace(), a.name())
        : "path|" + a.verb() + "|" + a.path();
  }

  @Test
  void verbsFromMethodAndName() {
    assertThat(show(r("GET", "/api/v1/namespaces/ns/pods/p"))).isEqualTo("get||pods||ns|p");
    assertThat(show(r("GET", "/api/v1/namespaces/ns/pods"))).isEqualTo("list||pods||ns|");
    assertThat(show(r("GET", "/api/v1/pods", Map.of("watch", "true")))).isEqualTo("watch||pods|||");
    assertThat(show(r("GET", "/api/v1/watch/namespaces/ns/pods"))).isEqualTo("watch||pods||ns|");
    assertThat(show(r("POST", "/api/v1/namespaces/ns/pods"))).isEqualTo("create||pods||ns|");
    assertThat(show(r("PUT", "/api/v1/nodes/n1"))).isEqualTo("update||nodes|||n1");
    assertThat(show(r("PATCH", "/apis/apps/v1/namespaces/ns/deployments/d")))
        .isEqualTo("patch|apps|deployments||ns|d");
    assertThat(show(r("DELETE", "/api/v1/namespaces/ns/pods/p"))).isEqualTo("delete||pods||ns|p");
    assertThat(show(r("DELETE", "/api/v1/namespaces/ns/pods")))
        .isEqualTo("deletecollection||pods||ns|");
    assertThat(show(r("HEAD", "/api/v1/nodes/n1"))).isEqualTo("get||nodes|||n1");
  }

  @Test
  void subresourcesAndNamespaces() {
    assertThat(show(r("GET", "/api/v1/namespaces/ns/pods/p/log"))).isEqualTo("get||pods|log|ns|p");
    assertThat(show(r("POST", "/api/v1/namespaces/ns/pods/p/exec")))
        .isEqualTo("create||pods|exec|ns|p");
    assertThat(show(r("PATCH", "/api/v1/nodes/n1/status"))).isEqualTo("patch||nodes|status||n1");
    assertThat(show(r("POST", "/api/v1/namespaces/ns/serviceaccounts/sa/token")))
        .isEqualTo("create||serviceaccounts|token|ns|sa");
    // a namespace itself, and its status/finalize subresources
    assertThat(show(r("GET", "/api/v1/namespaces/ns"))).isEqualTo("get||namespaces||ns|ns");
    assertThat(show(r("PUT", "/api/v1/namespaces/ns/finalize")))
        .isEqualTo("update||namespaces|finalize|ns|ns");
    assertThat(show(r("GET", "/api/v1/namespaces"))).isEqualTo("list||namespaces|||");
    assertThat(show(r("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")))
        .isEqualTo("create|authorization.k8s.io|selfsubjectaccessreviews|||");
  }

  @Test
  void fieldSelectorOnNameNamesTheObjectOfListAndWatch() {
    assertThat(
            show(
                r(
                    "GET",
                    "/api/v1/namespaces/ns/configmaps",
                    Map.of("fieldSelector", "metadata.name=cfg", "watch", "1"))))
        .isEqualTo("watch||configmaps||ns|cfg");
    assertThat(
            show(
                r(
                    "GET",
                    "/api/v1/namespaces/ns/configmaps",
                    Map.of("fieldSelector", "metadata.name!=cfg"))))
        .isEqualTo("list||configmaps||ns|");
    assertThat(RequestInfo.exactName("status.phase=Running,metadata.name==p")).isEqualTo("p");
    assertThat(RequestInfo.exactName("spec.nodeName=n")).isNull();
  }

  @Test
  void everythingElseIsANonResourceRequest() {
    assertThat(show(r("GET", "/healthz"))).isEqualTo("path|get|/healthz");
    assertThat(show(r("GET", "/api"))).isEqualTo("path|get|/api");
    assertThat(show(r("GET", "/api/v1"))).isEqualTo("path|get|/api/v1");
    assertThat(show(r("GET", "/apis/apps"))).isEqualTo("path|get|/apis/apps");
    assertThat(show(r("GET", "/apis/apps/v1"))).isEqualTo("path|get|/apis/apps/v1");
    assertThat(show(r("GET", "/openapi/v3/api/v1"))).isEqualTo("path|get|/openapi/v3/api/v1");
    assertThat(show(r("POST", "/metrics"))).isEqualTo("path|post|/metrics");
  }

  @Test
  void aWebSocketUpgradeOfExecAttachPortforwardAlsoNeedsCreate() {
    List<Attributes> exec =
        RequestInfo.checks(U, "GET", "/api/v1/namespaces/ns/pods/p/exec", k -> null, true);
    assertThat(exec).extracting(Attributes::verb).containsExactly("get", "create");
    assertThat(exec).extracting(Attributes::combinedResource).containsOnly("pods/exec");
    assertThat(
            RequestInfo.checks(
                U, "GET", "/api/v1/namespaces/ns/pods/p/portforward", k -> null, true))
        .extracting(Attributes::verb)
        .containsExactly("get", "create");
    assertThat(RequestInfo.checks(U, "POST", "/api/v1/namespaces/ns/pods/p/exec", k -> null, false))
        .extracting(Attributes::verb)
        .containsExactly("create");
    // a watch over WebSocket is just a watch
    assertThat(RequestInfo.checks(U, "GET", "/api/v1/pods", Map.of("watch", "true")::get, true))
        .extracting(Attributes::verb)
        .containsExactly("watch");
    assertThat(RequestInfo.checks(U, "GET", "/api/v1/namespaces/ns/pods/p/log", k -> null, true))
        .extracting(Attributes::verb)
        .containsExactly("get");
  }
}
