package io.gleaner.sim.apiserver.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.sim.apiserver.ApiException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** kube-apiserver's wording of a 403 (responsewriters.Forbidden + errors.NewForbidden). */
class ForbiddenTest {
  private static final UserInfo SA = UserInfo.serviceAccount("gleaner-system", "broker", "u");

  @Test
  void namespacedListHasNoName() {
    ApiException e =
        Forbidden.of(Attributes.resource(SA, "list", "", "pods", "", "default", ""), "");
    assertThat(e.code()).isEqualTo(403);
    assertThat(e.reason()).isEqualTo("Forbidden");
    assertThat(e.getMessage())
        .isEqualTo(
            "pods is forbidden: User \"system:serviceaccount:gleaner-system:broker\" cannot list"
                + " resource \"pods\" in API group \"\" in the namespace \"default\"");
  }

  @Test
  void clusterScopeGroupAndName() {
    assertThat(
            Forbidden.of(Attributes.resource(SA, "list", "", "nodes", "", "", ""), "").getMessage())
        .isEqualTo(
            "nodes is forbidden: User \"system:serviceaccount:gleaner-system:broker\" cannot list"
                + " resource \"nodes\" in API group \"\" at the cluster scope");
    assertThat(
            Forbidden.of(Attributes.resource(SA, "get", "apps", "deployments", "", "ns", "web"), "")
                .getMessage())
        .isEqualTo(
            "deployments.apps \"web\" is forbidden: User"
                + " \"system:serviceaccount:gleaner-system:broker\" cannot get resource"
                + " \"deployments\" in API group \"apps\" in the namespace \"ns\"");
  }

  @Test
  void subresourceReasonAndPath() {
    UserInfo u = UserInfo.of("alice", "", List.of());
    assertThat(
            Forbidden.of(
                    Attributes.resource(u, "create", "", "pods", "exec", "demo", "sleep"),
                    "RBAC: clusterrole.rbac.authorization.k8s.io \"x\" not found")
                .getMessage())
        .isEqualTo(
            "pods \"sleep\" is forbidden: User \"alice\" cannot create resource \"pods/exec\" in"
                + " API group \"\" in the namespace \"demo\": RBAC:"
                + " clusterrole.rbac.authorization.k8s.io \"x\" not found");
    assertThat(Forbidden.of(Attributes.nonResource(u, "get", "/metrics"), "").getMessage())
        .isEqualTo("forbidden: User \"alice\" cannot get path \"/metrics\"");
  }
}
