package io.gleaner.meta.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.gleaner.meta.crd.OfferedCapacity;
import io.gleaner.meta.registry.MemberStatusWriter.Patch;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MemberStatusWriterTest {
  private static List<Condition> reachable(String status) {
    return List.of(new ConditionBuilder().withType("Reachable").withStatus(status).build());
  }

  @Test
  void aNewerPatchReplacesWhatItChangesAndKeepsTheRest() {
    OfferedCapacity offer = OfferedCapacity.of(Map.of(), Map.of(), Instant.EPOCH);
    Patch waiting = new Patch(reachable("False"), "t1", null);
    Patch merged =
        waiting.then(new Patch(null, null, offer)).then(new Patch(reachable("True"), "t2", null));
    assertThat(merged.conditions()).isEqualTo(reachable("True"));
    assertThat(merged.lastContact()).isEqualTo("t2");
    assertThat(merged.offer()).isSameAs(offer);
    assertThat(merged.what()).isEqualTo("status and offered capacity");
    assertThat(new Patch(null, null, offer).what()).isEqualTo("offered capacity");
    assertThat(waiting.then(new Patch(null, null, null))).isEqualTo(waiting);
  }
}
