package io.gleaner.sim.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TablesTest {
  static final ObjectMapper M = new ObjectMapper();

  @Test
  void ageIsPrintedLikeKubectl() {
    Instant t = Instant.parse("2024-01-01T00:00:00Z");
    assertThat(Tables.age("2024-01-01T00:00:00Z", t.plusSeconds(45))).isEqualTo("45s");
    assertThat(Tables.age("2024-01-01T00:00:00Z", t.plusSeconds(192))).isEqualTo("3m12s");
    assertThat(Tables.age("2024-01-01T00:00:00Z", t.plusSeconds(3600 * 5))).isEqualTo("5h");
    assertThat(Tables.age("2024-01-01T00:00:00Z", t.plusSeconds(3600 * 51))).isEqualTo("2d3h");
    assertThat(Tables.age("", t)).isEqualTo("<unknown>");
  }

  @Test
  void printerColumnJsonPathSubset() throws Exception {
    JsonNode o =
        M.readTree(
            "{\"spec\":{\"roles\":[\"online\"]},\"status\":{\"conditions\":[{\"type\":\"Ready\","
                + "\"status\":\"True\"},{\"type\":\"Reachable\",\"status\":\"False\"}]}}");
    assertThat(Tables.jsonPath(o, ".status.conditions[?(@.type==\"Reachable\")].status").asText())
        .isEqualTo("False");
    assertThat(Tables.jsonPath(o, ".spec.roles[0]").asText()).isEqualTo("online");
    assertThat(Tables.jsonPath(o, ".spec.missing")).isNull();
    ObjectNode table =
        Tables.table(
            ResourceTypes.MEMBER_CLUSTERS,
            List.of(
                new ResourceTypes.PrinterColumn(
                    "Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status", 0)),
            List.of(
                (ObjectNode)
                    M.readTree(
                        "{\"metadata\":{\"name\":\"m1\",\"creationTimestamp\":\"2024-01-01T00:00:00Z\"},\"status\":"
                            + "{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}")),
            7,
            Instant.parse("2024-01-01T00:01:00Z"));
    assertThat(table.path("rows").get(0).path("cells").toString())
        .isEqualTo("[\"m1\",\"True\",\"60s\"]");
  }

  @Test
  void nodeRolesComeFromBothRoleLabelsLikeKubectl() throws Exception {
    ObjectNode node =
        (ObjectNode)
            M.readTree(
                "{\"metadata\":{\"name\":\"gleaner\",\"creationTimestamp\":\"2024-01-01T00:00:00Z\","
                    + "\"labels\":{\"kubernetes.io/role\":\"agent\",\"node-role.kubernetes.io/edge\":\"\"}},"
                    + "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}");
    ObjectNode table =
        Tables.table(ResourceTypes.NODES, List.of(node), 1, Instant.parse("2024-01-01T00:01:00Z"));
    assertThat(table.path("rows").get(0).path("cells").get(2).asText()).isEqualTo("edge,agent");
  }

  @Test
  void aGatedPodShowsSchedulingGatedAsKubectlDoes() throws Exception {
    ObjectNode pod =
        (ObjectNode)
            M.readTree(
                "{\"metadata\":{\"name\":\"p\",\"creationTimestamp\":\"2024-01-01T00:00:00Z\"},"
                    + "\"spec\":{\"schedulingGates\":[{\"name\":\"g\"}],\"containers\":[{\"name\":\"c\"}]},"
                    + "\"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\","
                    + "\"status\":\"False\",\"reason\":\"SchedulingGated\"}]}}");
    ObjectNode table =
        Tables.table(ResourceTypes.PODS, List.of(pod), 1, Instant.parse("2024-01-01T00:01:00Z"));
    assertThat(table.path("rows").get(0).path("cells").get(2).asText())
        .isEqualTo("SchedulingGated");
    ((ObjectNode) pod.path("status").path("conditions").get(0)).put("reason", "Unschedulable");
    table =
        Tables.table(ResourceTypes.PODS, List.of(pod), 1, Instant.parse("2024-01-01T00:01:00Z"));
    assertThat(table.path("rows").get(0).path("cells").get(2).asText()).isEqualTo("Pending");
  }
}
