package io.gleaner.vk.pod;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

class MetaPodWriterTest {
  @Test
  void statusPatchSetsWhatIsThereAndClearsWhatTheMemberNoLongerReports() throws Exception {
    String patch =
        MetaPodWriter.statusPatch(
            new PodStatusBuilder().withPhase("Running").withPodIP("10.0.0.7").build(), "41");
    JsonNode root = Serialization.jsonMapper().readTree(patch);
    assertThat(root.at("/metadata/resourceVersion").asText()).isEqualTo("41");
    JsonNode status = root.get("status");
    assertThat(status.get("phase").asText()).isEqualTo("Running");
    assertThat(status.get("podIP").asText()).isEqualTo("10.0.0.7");
    for (String k : MetaPodWriter.CLEARED_STATUS_FIELDS) {
      if (!k.equals("podIP")) {
        assertThat(status.get(k)).as(k).isNotNull();
        assertThat(status.get(k).isNull()).as(k).isTrue();
      }
    }
  }
}
