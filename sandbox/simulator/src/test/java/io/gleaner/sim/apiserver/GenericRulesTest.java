package io.gleaner.sim.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class GenericRulesTest {
  static final ObjectMapper M = new ObjectMapper();
  static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  static ObjectNode obj(String json) throws Exception {
    return (ObjectNode) M.readTree(json);
  }

  @Test
  void aGracePeriodMarksTheObjectUntilItEndsAndOnlyAShorterOneMovesIt() throws Exception {
    ObjectNode pod = obj("{\"metadata\":{\"name\":\"p\"}}");
    ObjectNode marked = GenericRules.markedForDeletion(pod, 30, NOW);
    assertThat(marked.path("metadata").path("deletionTimestamp").asText())
        .isEqualTo("2026-01-01T00:00:30Z");
    assertThat(marked.path("metadata").path("deletionGracePeriodSeconds").asLong()).isEqualTo(30);
    assertThat(pod.path("metadata").has("deletionTimestamp")).isFalse();

    assertThat(GenericRules.markedForDeletion(marked, 30, NOW.plusSeconds(5))).isSameAs(marked);
    ObjectNode sooner = GenericRules.markedForDeletion(marked, 10, NOW.plusSeconds(5));
    assertThat(sooner.path("metadata").path("deletionTimestamp").asText())
        .isEqualTo("2026-01-01T00:00:15Z");
    assertThat(sooner.path("metadata").path("deletionGracePeriodSeconds").asLong()).isEqualTo(10);
  }

  @Test
  void finalizersKeepTheObjectMarkedAndWithoutThemItGoesAtOnce() throws Exception {
    ObjectNode cm = obj("{\"metadata\":{\"name\":\"c\",\"finalizers\":[\"x\"]}}");
    ObjectNode marked = GenericRules.markedForDeletion(cm, 0, NOW);
    assertThat(marked.path("metadata").path("deletionTimestamp").asText())
        .isEqualTo("2026-01-01T00:00:00Z");
    assertThat(marked.path("metadata").path("deletionGracePeriodSeconds").asLong()).isZero();
    assertThat(GenericRules.markedForDeletion(marked, 0, NOW.plusSeconds(9))).isSameAs(marked);
    assertThat(GenericRules.finalized(marked)).isFalse();

    ObjectNode released = marked.deepCopy();
    released.with("metadata").putArray("finalizers");
    assertThat(GenericRules.finalized(released)).isTrue();
    assertThat(GenericRules.markedForDeletion(obj("{\"metadata\":{}}"), 0, NOW)).isNull();
  }

  @Test
  void anUpdateKeepsServerOwnedMetadataAndASpecChangeBumpsTheGeneration() throws Exception {
    ObjectNode current =
        obj(
            "{\"metadata\":{\"name\":\"d\",\"uid\":\"u1\",\"generation\":3,\"resourceVersion\":\"5\"},"
                + "\"spec\":{\"replicas\":1}}");
    ObjectNode next =
        obj("{\"metadata\":{\"name\":\"d\",\"uid\":\"forged\"},\"spec\":{\"replicas\":2}}");
    GenericRules.keepServerFields(current, next, false);
    assertThat(next.path("metadata").path("uid").asText()).isEqualTo("u1");
    assertThat(next.path("metadata").path("generation").asLong()).isEqualTo(4);

    ObjectNode status = obj("{\"metadata\":{},\"spec\":{\"replicas\":2}}");
    GenericRules.keepServerFields(current, status, true);
    assertThat(status.path("metadata").path("generation").asLong()).isEqualTo(3);
  }

  @Test
  void theMainResourceKeepsTheStoredStatusAndTheStatusSubresourceOnlyTheStatus() throws Exception {
    ObjectNode current =
        obj("{\"metadata\":{\"name\":\"n\"},\"spec\":{\"a\":1},\"status\":{\"phase\":\"Old\"}}");
    ObjectNode body =
        obj("{\"metadata\":{\"name\":\"n\"},\"spec\":{\"a\":2},\"status\":{\"phase\":\"New\"}}");

    ObjectNode main = GenericRules.replaced(ResourceTypes.NODES, current, body, false);
    assertThat(main.path("spec").path("a").asInt()).isEqualTo(2);
    assertThat(main.path("status").path("phase").asText()).isEqualTo("Old");
    assertThat(main.path("kind").asText()).isEqualTo("Node");

    ObjectNode status = GenericRules.replaced(ResourceTypes.NODES, current, body, true);
    assertThat(status.path("spec").path("a").asInt()).isEqualTo(1);
    assertThat(status.path("status").path("phase").asText()).isEqualTo("New");

    ObjectNode cm = GenericRules.replaced(ResourceTypes.CONFIGMAPS, current, body, false);
    assertThat(cm.path("status").path("phase").asText()).isEqualTo("New");
  }
}
