package io.gleaner.sim.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class OnlineWorkloadTest {
  static final ObjectMapper M = new ObjectMapper();

  static ObjectNode pod(String name, String node, String created) {
    ObjectNode p = M.createObjectNode();
    p.putObject("metadata").put("name", name).put("creationTimestamp", created);
    if (node != null) {
      p.putObject("spec").put("nodeName", node);
    }
    return p;
  }

  @Test
  void scaleDownRemovesUnscheduledThenConsolidatesNewestFirst() {
    List<ObjectNode> pods =
        List.of(
            pod("a1", "a", "2024-01-01T00:00:00Z"),
            pod("a2", "a", "2024-01-01T00:01:00Z"),
            pod("b1", "b", "2024-01-01T00:00:00Z"),
            pod("b2", "b", "2024-01-01T00:02:00Z"),
            pod("b3", "b", "2024-01-01T00:00:30Z"),
            pod("pending", null, "2024-01-01T00:00:00Z"));
    assertThat(OnlineWorkload.scaleDownOrder(pods))
        .extracting(p -> p.path("metadata").path("name").asText())
        .containsExactly("pending", "a2", "a1", "b2", "b3", "b1");
  }
}
