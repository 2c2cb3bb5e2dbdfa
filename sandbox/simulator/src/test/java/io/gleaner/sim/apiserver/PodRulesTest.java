package io.gleaner.sim.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/**
 * {@code spec.activeDeadlineSeconds} in the pod validation, as kube-apiserver words it: 1 to
 * 2147483647 in any pod spec; on update only set from unset or lowered.
 */
class PodRulesTest {
  static final ObjectMapper M = new ObjectMapper();
  final PodRules rules = new PodRules();

  static ObjectNode pod(Long deadline) {
    ObjectNode pod = M.createObjectNode();
    pod.putObject("metadata").put("name", "job-1").put("namespace", "default");
    ObjectNode spec = pod.putObject("spec");
    spec.put("nodeName", "node-0");
    spec.putArray("containers").addObject().put("name", "main").put("image", "busybox");
    if (deadline != null) {
      spec.put("activeDeadlineSeconds", deadline);
    }
    return pod;
  }

  private ApiException refusedUpdate(Long from, Long to) {
    return catchThrowableOfType(() -> rules.validateUpdate(pod(from), pod(to)), ApiException.class);
  }

  @Test
  void aDeadlineMaySetFromUnsetLoweredOrKept() {
    assertThatCode(() -> rules.validateUpdate(pod(null), pod(600L))).doesNotThrowAnyException();
    assertThatCode(() -> rules.validateUpdate(pod(600L), pod(60L))).doesNotThrowAnyException();
    assertThatCode(() -> rules.validateUpdate(pod(600L), pod(600L))).doesNotThrowAnyException();
    assertThatCode(() -> rules.validateUpdate(pod(null), pod(null))).doesNotThrowAnyException();
  }

  @Test
  void raisingADeadlineIsInvalidWithTheApiServersStatus() {
    ApiException e = refusedUpdate(600L, 1200L);
    assertThat(e.code()).isEqualTo(422);
    assertThat(e.reason()).isEqualTo("Invalid");
    assertThat(e.getMessage())
        .isEqualTo(
            "Pod \"job-1\" is invalid: spec.activeDeadlineSeconds: Invalid value: 1200: must be"
                + " less than or equal to previous value");
    ObjectNode status = e.toStatus();
    assertThat(status.path("details").path("name").asText()).isEqualTo("job-1");
    assertThat(status.path("details").path("kind").asText()).isEqualTo("Pod");
    assertThat(status.path("details").has("group")).isFalse();
    JsonNode causes = status.path("details").path("causes");
    assertThat(causes).hasSize(1);
    assertThat(causes.get(0).path("reason").asText()).isEqualTo("FieldValueInvalid");
    assertThat(causes.get(0).path("field").asText()).isEqualTo("spec.activeDeadlineSeconds");
    assertThat(causes.get(0).path("message").asText())
        .isEqualTo("Invalid value: 1200: must be less than or equal to previous value");
  }

  @Test
  void unsettingADeadlineIsInvalid() {
    assertThat(refusedUpdate(600L, null).getMessage())
        .isEqualTo(
            "Pod \"job-1\" is invalid: spec.activeDeadlineSeconds: Invalid value: null: must not"
                + " update from a positive integer to nil value");
  }

  @Test
  void aDeadlineOutOfRangeIsInvalidOnCreateAndUpdate() {
    // zero passes the update's own rule (0..max) but not the pod spec's (1..max)
    assertThat(refusedUpdate(600L, 0L).getMessage())
        .isEqualTo(
            "Pod \"job-1\" is invalid: spec.activeDeadlineSeconds: Invalid value: 0: must be"
                + " between 1 and 2147483647, inclusive");
    // below zero or above an int32 both rules fail: two errors, listed as the API server lists them
    ApiException negative = refusedUpdate(600L, -1L);
    assertThat(negative.getMessage())
        .isEqualTo(
            "Pod \"job-1\" is invalid: [spec.activeDeadlineSeconds: Invalid value: -1: must be"
                + " between 1 and 2147483647, inclusive, spec.activeDeadlineSeconds: Invalid"
                + " value: -1: must be between 0 and 2147483647, inclusive]");
    assertThat(negative.toStatus().path("details").path("causes")).hasSize(2);
    assertThat(refusedUpdate(null, 3_000_000_000L).getMessage())
        .contains("Invalid value: 3000000000: must be between 0 and 2147483647, inclusive");
    assertThatCode(() -> rules.validateUpdate(pod(null), pod(2147483647L)))
        .doesNotThrowAnyException();

    ApiException created =
        catchThrowableOfType(() -> rules.prepareCreate(null, pod(0L)), ApiException.class);
    assertThat(created.getMessage())
        .isEqualTo(
            "Pod \"job-1\" is invalid: spec.activeDeadlineSeconds: Invalid value: 0: must be"
                + " between 1 and 2147483647, inclusive");
  }

  @Test
  void theDeadlineIsCheckedBeforeTheOtherFields() {
    ObjectNode next = pod(1200L);
    ((ObjectNode) next.path("spec")).put("nodeName", "node-1");
    assertThat(
            catchThrowableOfType(() -> rules.validateUpdate(pod(600L), next), ApiException.class)
                .getMessage())
        .contains("must be less than or equal to previous value");
  }
}
