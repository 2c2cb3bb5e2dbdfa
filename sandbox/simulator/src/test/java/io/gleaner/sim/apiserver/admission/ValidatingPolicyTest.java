package io.gleaner.sim.apiserver.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class ValidatingPolicyTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode policy(String spec) throws Exception {
    return JSON.readTree("{\"metadata\":{\"name\":\"p\"},\"spec\":" + spec + "}");
  }

  private static final String RULES =
      "\"matchConstraints\":{\"resourceRules\":[{\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],"
          + "\"operations\":[\"CREATE\",\"DELETE\"],\"resources\":[\"pods\",\"pods/eviction\"]}]}";

  private static AdmissionRequest request(String op, String sub, JsonNode object, JsonNode old) {
    return new AdmissionRequest(
        op, "alice", List.of(), "", "v1", "pods", sub, "ns", "p1", object, old, null);
  }

  @Test
  void resourceRulesSelectResourcesAndSubresourcesAsKubeApiserverDoes() throws Exception {
    ValidatingPolicy p =
        ValidatingPolicy.compile(
            policy("{" + RULES + ",\"validations\":[{\"expression\":\"true\"}]}"));
    assertThat(p.selects(request("CREATE", "", null, null))).isTrue();
    assertThat(p.selects(request("CREATE", "eviction", null, null))).isTrue();
    assertThat(p.selects(request("CREATE", "exec", null, null))).isFalse();
    assertThat(p.selects(request("UPDATE", "", null, null))).isFalse();
    ValidatingPolicy all =
        ValidatingPolicy.compile(
            policy(
                "{\"matchConstraints\":{\"resourceRules\":[{\"apiGroups\":[\"*\"],\"apiVersions\":[\"*\"],"
                    + "\"operations\":[\"*\"],\"resources\":[\"pods/*\"]}],\"excludeResourceRules\":"
                    + "[{\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],\"operations\":[\"*\"],\"resources\":[\"pods/exec\"]}]},"
                    + "\"validations\":[{\"expression\":\"true\"}]}"));
    assertThat(all.selects(request("CREATE", "eviction", null, null))).isTrue();
    assertThat(all.selects(request("CREATE", "exec", null, null))).isFalse();
    // "pods/*" takes the resource itself too: its subresource part "*" matches an empty one
    assertThat(all.selects(request("CREATE", "", null, null))).isTrue();
  }

  @Test
  void aFalseValidationDeniesWithItsMessageOrTheExpressionAndReasonInvalidByDefault()
      throws Exception {
    ValidatingPolicy p =
        ValidatingPolicy.compile(
            policy(
                "{"
                    + RULES
                    + ",\"validations\":[{\"expression\":\"request.operation != 'DELETE'\"},"
                    + "{\"expression\":\"!has(request.subResource)\",\"message\":\"no eviction\",\"reason\":\"Forbidden\"}]}"));
    Denial d = p.evaluate(request("DELETE", "", null, JSON.createObjectNode()), "b").denial().get();
    assertThat(d.message()).isEqualTo("failed expression: request.operation != 'DELETE'");
    assertThat(d.code()).isEqualTo(422);
    assertThat(d.statusMessage("pods", "p1"))
        .isEqualTo(
            "pods \"p1\" is forbidden: ValidatingAdmissionPolicy 'p' with binding 'b' denied request:"
                + " failed expression: request.operation != 'DELETE'");
    Denial e =
        p.evaluate(request("CREATE", "eviction", JSON.createObjectNode(), null), "b")
            .denial()
            .get();
    assertThat(e.message()).isEqualTo("no eviction");
    assertThat(e.code()).isEqualTo(403);
    assertThat(p.evaluate(request("CREATE", "", JSON.createObjectNode(), null), "b").allowed())
        .isTrue();
  }

  @Test
  void matchConditionsFilterAndVariablesAreComputedInOrder() throws Exception {
    ValidatingPolicy p =
        ValidatingPolicy.compile(
            policy(
                "{"
                    + RULES
                    + ",\"matchConditions\":[{\"name\":\"u\",\"expression\":\"request.userInfo.username == 'alice'\"}],"
                    + "\"variables\":[{\"name\":\"a\",\"expression\":\"object.x\"},{\"name\":\"b\",\"expression\":\"variables.a + 1\"}],"
                    + "\"validations\":[{\"expression\":\"variables.b == 3\"}]}"));
    assertThat(p.evaluate(request("CREATE", "", JSON.readTree("{\"x\":2}"), null), "b").allowed())
        .isTrue();
    assertThat(p.evaluate(request("CREATE", "", JSON.readTree("{\"x\":1}"), null), "b").allowed())
        .isFalse();
    AdmissionRequest bob =
        new AdmissionRequest(
            "CREATE",
            "bob",
            List.of(),
            "",
            "v1",
            "pods",
            "",
            "ns",
            "p1",
            JSON.readTree("{\"x\":1}"),
            null,
            null);
    assertThat(p.evaluate(bob, "b").matched()).isFalse();
    // a variable that fails (no x): reported, and the validation using it fails closed
    ValidatingPolicy.Decision d =
        p.evaluate(request("CREATE", "", JSON.createObjectNode(), null), "b");
    assertThat(d.variableErrors()).containsOnlyKeys("a", "b");
    assertThat(d.denial().get().message())
        .startsWith("expression 'variables.b == 3' resulted in error");
  }

  @Test
  void failurePolicyIgnoreSkipsAnExpressionThatFails() throws Exception {
    ValidatingPolicy p =
        ValidatingPolicy.compile(
            policy(
                "{\"failurePolicy\":\"Ignore\","
                    + RULES
                    + ",\"validations\":[{\"expression\":\"object.x == 1\"}]}"));
    assertThat(p.evaluate(request("CREATE", "", JSON.createObjectNode(), null), "b").allowed())
        .isTrue();
  }

  @Test
  void whatCannotBeEnforcedHereIsRefusedAtCompileTime() throws Exception {
    assertThatThrownBy(
            () ->
                ValidatingPolicy.compile(
                    policy(
                        "{\"paramKind\":{\"kind\":\"ConfigMap\"},"
                            + RULES
                            + ",\"validations\":[{\"expression\":\"authorizer.group('').check('x')\"},{\"expression\":\"1 +\"}]}")))
        .isInstanceOf(PolicyException.class)
        .satisfies(
            e ->
                assertThat(((PolicyException) e).problems())
                    .hasSize(3)
                    .anyMatch(s -> s.startsWith("spec.paramKind"))
                    .anyMatch(s -> s.startsWith("spec.validations[0].expression: "))
                    .anyMatch(s -> s.startsWith("spec.validations[1].expression: ")));
  }
}
