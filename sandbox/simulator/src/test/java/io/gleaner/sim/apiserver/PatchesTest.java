package io.gleaner.sim.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class PatchesTest {
  static final ObjectMapper M = new ObjectMapper();

  static ObjectNode obj(String json) throws Exception {
    return (ObjectNode) M.readTree(json);
  }

  @Test
  void mergePatchReplacesListsAndNullDeletes() throws Exception {
    ObjectNode target = obj("{\"a\":{\"b\":1,\"c\":2},\"l\":[1,2]}");
    ObjectNode r =
        Patches.apply(Patches.Type.MERGE, target, obj("{\"a\":{\"b\":null,\"d\":3},\"l\":[9]}"));
    assertThat(r).isEqualTo(obj("{\"a\":{\"c\":2,\"d\":3},\"l\":[9]}"));
    assertThat(target).isEqualTo(obj("{\"a\":{\"b\":1,\"c\":2},\"l\":[1,2]}"));
  }

  @Test
  void strategicMergeMergesListsByKey() throws Exception {
    ObjectNode pod =
        obj(
            "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"},"
                + "{\"type\":\"PodScheduled\",\"status\":\"True\"}]}}");
    ObjectNode r =
        Patches.apply(
            Patches.Type.STRATEGIC,
            pod,
            obj(
                "{\"$setElementOrder/conditions\":[{\"type\":"
                    + "\"Ready\"}],\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}"));
    assertThat(r.path("status").path("conditions")).hasSize(2);
    assertThat(r.path("status").path("conditions").get(0).path("status").asText())
        .isEqualTo("True");
    ObjectNode del =
        Patches.apply(
            Patches.Type.STRATEGIC,
            pod,
            obj("{\"status\":{\"conditions\":[{\"type\":" + "\"Ready\",\"$patch\":\"delete\"}]}}"));
    assertThat(del.path("status").path("conditions")).hasSize(1);
  }

  @Test
  void jsonPatchAndUnknownContentType() throws Exception {
    ObjectNode r =
        Patches.apply(
            Patches.Type.JSON,
            obj("{\"a\":1}"),
            M.readTree(
                "[{\"op\":\"add\",\"path\":\"/b\","
                    + "\"value\":2},{\"op\":\"remove\",\"path\":\"/a\"}]"));
    assertThat(r).isEqualTo(obj("{\"b\":2}"));
    assertThatThrownBy(() -> Patches.Type.ofContentType("text/plain"))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("application/merge-patch+json");
    assertThatThrownBy(
            () ->
                Patches.apply(
                    Patches.Type.JSON,
                    obj("{}"),
                    M.readTree("[{\"op\":\"remove\"," + "\"path\":\"/x\"}]")))
        .isInstanceOf(ApiException.class);
  }
}
