package io.gleaner.sim.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SelectorsTest {
  static final ObjectMapper M = new ObjectMapper();

  static JsonNode pod(String labels, String nodeName, String phase) throws Exception {
    return M.readTree(
        "{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"labels\":"
            + labels
            + "},"
            + "\"spec\":{"
            + (nodeName == null ? "" : "\"nodeName\":\"" + nodeName + "\"")
            + "},"
            + "\"status\":{\"phase\":\""
            + phase
            + "\"}}");
  }

  @Test
  void labelSelectorSyntax() throws Exception {
    JsonNode p = pod("{\"app\":\"web\",\"tier\":\"1\"}", null, "Pending");
    assertThat(match("app=web", p)).isTrue();
    assertThat(match("app==web,tier=1", p)).isTrue();
    assertThat(match("app!=web", p)).isFalse();
    assertThat(match("app in (web, api)", p)).isTrue();
    assertThat(match("app notin (web)", p)).isFalse();
    assertThat(match("tier", p)).isTrue();
    assertThat(match("!tier", p)).isFalse();
    assertThat(match("!missing,app in (web)", p)).isTrue();
    assertThat(match("tier>0", p)).isTrue();
    assertThatThrownBy(() -> Selectors.parseLabels("app in web"))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("app in web");
  }

  private static boolean match(String labelSelector, JsonNode p) {
    return Selectors.predicate(Selectors.parseLabels(labelSelector), java.util.List.of()).test(p);
  }

  @Test
  void fieldSelectorsCompareStringsAndEmptyMeansAbsent() throws Exception {
    JsonNode unbound = pod("{}", null, "Pending");
    JsonNode bound = pod("{}", "n1", "Running");
    var unscheduled = Selectors.parseFields("spec.nodeName=", ResourceTypes.PODS);
    assertThat(Selectors.predicate(java.util.List.of(), unscheduled).test(unbound)).isTrue();
    assertThat(Selectors.predicate(java.util.List.of(), unscheduled).test(bound)).isFalse();
    var notDone =
        Selectors.parseFields(
            "status.phase!=Succeeded,status.phase!=Failed,spec.nodeName=n1", ResourceTypes.PODS);
    assertThat(Selectors.predicate(java.util.List.of(), notDone).test(bound)).isTrue();
    assertThatThrownBy(() -> Selectors.parseFields("spec.foo=x", ResourceTypes.PODS))
        .hasMessage("field label not supported: spec.foo");
    assertThatThrownBy(() -> Selectors.parseFields("spec.nodeName=x", ResourceTypes.CONFIGMAPS))
        .hasMessage("field label not supported: spec.nodeName");
  }

  @Test
  void structuredSelectors() throws Exception {
    JsonNode sel =
        M.readTree(
            "{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":[{\"key\":\"tier\","
                + "\"operator\":\"In\",\"values\":[\"1\",\"2\"]}]}");
    assertThat(Selectors.matchesLabelSelector(sel, Map.of("app", "web", "tier", "2"))).isTrue();
    assertThat(Selectors.matchesLabelSelector(sel, Map.of("app", "web"))).isFalse();
    assertThat(Selectors.matchesLabelSelector(M.readTree("{}"), Map.of())).isTrue();
    assertThat(Selectors.matchesLabelSelector(null, Map.of())).isFalse();
  }
}
