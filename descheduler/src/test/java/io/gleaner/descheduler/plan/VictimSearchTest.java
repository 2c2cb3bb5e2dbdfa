package io.gleaner.descheduler.plan;

import static io.gleaner.descheduler.plan.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class VictimSearchTest {

  @Test
  void findsTheExactOptimumWhereGreedyWouldNot() {
    // Need 6: greedy youngest-first takes 1+2+... ; the optimum is the two 3-CPU pods (fewest
    // victims).
    LentNode n =
        lent(
            "n1",
            "16",
            offline("y1", "1", 1),
            offline("y2", "2", 2),
            offline("t1", "3", 50),
            offline("t2", "3", 60),
            offline("o5", "5", 70));
    PlanState st = PlanState.of(List.of(n), Resources.ZERO);
    VictimSearch.Selection sel =
        new VictimSearch(st, st.nodes.get("n1"), NOW, 10_000).find(Resources.of("cpu", "6"));
    assertThat(sel.items())
        .extracting(i -> i.single().name())
        .containsExactlyInAnyOrder("y1", "o5");
    assertThat(sel.cost().count()).isEqualTo(2);
  }

  @Test
  void aTinyBudgetStillReturnsAValidCover() {
    List<NodePod> pods = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      pods.add(offline("p" + i, "1", i));
    }
    LentNode n = lent("n1", "64", pods.toArray(NodePod[]::new));
    PlanState st = PlanState.of(List.of(n), Resources.ZERO);
    VictimSearch.Selection sel =
        new VictimSearch(st, st.nodes.get("n1"), NOW, 50).find(Resources.of("cpu", "10"));
    assertThat(sel).isNotNull();
    assertThat(sel.items().stream().mapToLong(i -> i.single().requests().cpuMillis()).sum())
        .isGreaterThanOrEqualTo(10_000);
  }

  @Test
  void impossibleCoverIsNull() {
    LentNode n = lent("n1", "8", offline("a", "1", 1));
    PlanState st = PlanState.of(List.of(n), Resources.ZERO);
    assertThat(new VictimSearch(st, st.nodes.get("n1"), NOW, 100).find(Resources.of("cpu", "2")))
        .isNull();
    assertThat(new VictimSearch(st, st.nodes.get("n1"), NOW, 100).find(Resources.ZERO).items())
        .isEmpty();
  }
}
