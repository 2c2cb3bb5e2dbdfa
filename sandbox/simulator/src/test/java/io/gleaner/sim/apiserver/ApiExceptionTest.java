package io.gleaner.sim.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/**
 * The {@code Status} bodies of failed calls, as kube-apiserver renders them: {@code details.group}
 * names a resource's API group (absent for the core group), {@code details.kind} is the resource
 * for NotFound, AlreadyExists and Conflict and the kind for Invalid, whose message names the kind
 * qualified by its group.
 */
class ApiExceptionTest {
  @Test
  void notFoundOfACoreResourceHasNoGroup() {
    ObjectNode s = ApiException.notFound(ResourceTypes.PODS, "p").toStatus();
    assertThat(s.get("code").asInt()).isEqualTo(404);
    assertThat(s.get("reason").asText()).isEqualTo("NotFound");
    assertThat(s.get("message").asText()).isEqualTo("pods \"p\" not found");
    assertThat(s.get("details").get("name").asText()).isEqualTo("p");
    assertThat(s.get("details").get("kind").asText()).isEqualTo("pods");
    assertThat(s.get("details").has("group")).isFalse();
  }

  @Test
  void notFoundAlreadyExistsAndConflictOfAGroupedResourceNameTheGroup() {
    for (ApiException e :
        new ApiException[] {
          ApiException.notFound(ResourceTypes.GLEANER_POLICIES, "x"),
          ApiException.alreadyExists(ResourceTypes.GLEANER_POLICIES, "x"),
          ApiException.conflict(ResourceTypes.GLEANER_POLICIES, "x", "why")
        }) {
      ObjectNode details = (ObjectNode) e.toStatus().get("details");
      assertThat(details.get("group").asText()).isEqualTo(ResourceTypes.GLEANER_POLICIES.group());
      assertThat(details.get("kind").asText()).isEqualTo(ResourceTypes.GLEANER_POLICIES.plural());
      assertThat(e.getMessage())
          .contains(
              ResourceTypes.GLEANER_POLICIES.plural()
                  + "."
                  + ResourceTypes.GLEANER_POLICIES.group()
                  + " \"x\"");
    }
  }

  @Test
  void invalidNamesTheKindQualifiedByItsGroup() {
    ObjectNode s =
        ApiException.invalid(ResourceTypes.DEPLOYMENTS, "d", "spec.replicas", "must be >= 0")
            .toStatus();
    assertThat(s.get("code").asInt()).isEqualTo(422);
    assertThat(s.get("message").asText())
        .isEqualTo("Deployment.apps \"d\" is invalid: spec.replicas: must be >= 0");
    assertThat(s.get("details").get("group").asText()).isEqualTo("apps");
    assertThat(s.get("details").get("kind").asText()).isEqualTo("Deployment");
    assertThat(s.get("details").get("causes").get(0).get("field").asText())
        .isEqualTo("spec.replicas");

    ObjectNode core = ApiException.invalid(ResourceTypes.PODS, "p", "spec", "bad").toStatus();
    assertThat(core.get("message").asText()).isEqualTo("Pod \"p\" is invalid: spec: bad");
    assertThat(core.get("details").has("group")).isFalse();
  }
}
