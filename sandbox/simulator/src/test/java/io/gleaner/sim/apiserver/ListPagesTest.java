package io.gleaner.sim.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ListPagesTest {
  static final ObjectMapper M = new ObjectMapper();

  static List<ObjectNode> items(int n) {
    List<ObjectNode> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ObjectNode o = M.createObjectNode();
      o.putObject("metadata").put("name", "p" + i);
      out.add(o);
    }
    return out;
  }

  static List<String> names(ObjectNode list) {
    List<String> out = new ArrayList<>();
    list.path("items").forEach(o -> out.add(o.path("metadata").path("name").asText()));
    return out;
  }

  @Test
  void pagesFollowTheContinueTokenUntilNoItemsRemain() {
    List<ObjectNode> all = items(5);
    ObjectNode first = ListPages.page(ResourceTypes.PODS, all, 42, "2", null);
    assertThat(first.path("kind").asText()).isEqualTo("PodList");
    assertThat(first.path("apiVersion").asText()).isEqualTo("v1");
    assertThat(first.path("metadata").path("resourceVersion").asText()).isEqualTo("42");
    assertThat(names(first)).containsExactly("p0", "p1");

    String token = first.path("metadata").path("continue").asText();
    ObjectNode second = ListPages.page(ResourceTypes.PODS, all, 42, "2", token);
    assertThat(names(second)).containsExactly("p2", "p3");

    ObjectNode last =
        ListPages.page(
            ResourceTypes.PODS, all, 42, "2", second.path("metadata").path("continue").asText());
    assertThat(names(last)).containsExactly("p4");
    assertThat(last.path("metadata").has("continue")).isFalse();
  }

  @Test
  void withoutALimitEverythingIsOnePage() {
    ObjectNode list = ListPages.page(ResourceTypes.NODES, items(3), 7, null, null);
    assertThat(names(list)).containsExactly("p0", "p1", "p2");
    assertThat(list.path("metadata").has("continue")).isFalse();
    assertThat(ListPages.page(ResourceTypes.NODES, items(3), 7, "0", "").path("items")).hasSize(3);
  }

  @Test
  void aMalformedTokenIsABadRequest() {
    assertThatThrownBy(() -> ListPages.page(ResourceTypes.PODS, items(1), 1, "1", "abc"))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(400))
        .hasMessageContaining("invalid continue token \"abc\"");
  }
}
