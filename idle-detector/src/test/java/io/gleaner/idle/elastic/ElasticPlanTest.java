package io.gleaner.idle.elastic;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.idle.elastic.ElasticPlan.Node;
import io.gleaner.idle.elastic.ElasticPlan.Plan;
import io.gleaner.idle.elastic.ElasticPlan.Reason;
import io.gleaner.meta.crd.EffectivePolicy.Elastic;
import io.gleaner.meta.resources.Resources;
import java.util.List;
import org.junit.jupiter.api.Test;

class ElasticPlanTest {
  static final Elastic BUDGET = new Elastic(32, 100);

  static Resources cpu(String cpu) {
    return Resources.of("cpu", cpu, "memory", "4Gi");
  }

  static Node node(String name, String envelopeCpu, String heldCpu) {
    return new Node(
        "el",
        name,
        Resources.of("cpu", envelopeCpu, "memory", "60Gi"),
        heldCpu == null ? Resources.ZERO : Resources.of("cpu", heldCpu));
  }

  static Plan plan(Elastic budget, double spent, List<Node> nodes, List<Resources> waiting) {
    return ElasticPlan.plan(budget, spent, List.of("el"), nodes, waiting);
  }

  @Test
  void offAtTheDefaultsWhateverWaits() {
    Plan p = plan(new Elastic(0, 100), 0, List.of(node("n1", "16", null)), List.of(cpu("4")));
    assertThat(p.reason()).isEqualTo(Reason.OFF);
    assertThat(p.offers()).isEmpty();
    assertThat(p.scaleUp("el")).isEmpty();
    assertThat(plan(new Elastic(8, 0), 0, List.of(), List.of(cpu("4"))).reason())
        .isEqualTo(Reason.OFF);
    assertThat(ElasticPlan.plan(BUDGET, 0, List.of(), List.of(), List.of(cpu("4"))).reason())
        .isEqualTo(Reason.OFF);
  }

  @Test
  void nothingOfferedNorAskedWhileNoNearLinePodWaits() {
    Plan p = plan(BUDGET, 0, List.of(node("n1", "16", "2")), List.of());
    assertThat(p.reason()).isEqualTo(Reason.NO_DEMAND);
    assertThat(p.offers()).isEmpty();
    assertThat(p.scaleUp("el")).isEmpty();
    assertThat(p.cpuMillis()).isZero();
  }

  @Test
  void atPeakWithNoNodeAPlaceholderPerWaitingPodAndNoOffer() {
    Plan p = plan(BUDGET, 0, List.of(), List.of(cpu("4"), cpu("8")));
    assertThat(p.reason()).isEqualTo(Reason.PEAK);
    assertThat(p.offers()).isEmpty();
    assertThat(p.scaleUp("el")).containsExactly(cpu("8"), cpu("4"));
  }

  @Test
  void existingNodesAreOfferedAndWhatFitsThereIsNotAskedFor() {
    Plan p = plan(BUDGET, 0, List.of(node("n1", "16", "4")), List.of(cpu("8"), cpu("8")));
    assertThat(p.offer("el", "n1")).isEqualTo(Resources.of("cpu", "16", "memory", "60Gi"));
    // 12 free: one 8 fits, the other is asked for
    assertThat(p.scaleUp("el")).containsExactly(cpu("8"));
  }

  @Test
  void offersAndPlaceholdersTogetherStayWithinMaxCores() {
    Elastic small = new Elastic(20, 100);
    Plan p =
        plan(
            small,
            0,
            List.of(node("n1", "16", "16")),
            List.of(cpu("4"), cpu("4"), cpu("2"), cpu("1")));
    assertThat(p.offer("el", "n1").cpuMillis()).isEqualTo(16_000);
    // 4 cores left of the cap: one 4 is asked for, nothing more
    assertThat(p.scaleUp("el")).containsExactly(cpu("4"));
    assertThat(p.cpuMillis()).isLessThanOrEqualTo(20_000);
  }

  @Test
  void aSecondNodeIsOfferedOnlyUpToTheCap() {
    Plan p =
        plan(
            new Elastic(20, 100),
            0,
            List.of(node("n1", "16", null), node("n2", "16", null)),
            List.of(cpu("30")));
    assertThat(p.offer("el", "n1").cpuMillis()).isEqualTo(16_000);
    assertThat(p.offer("el", "n2").cpuMillis()).isEqualTo(4_000);
    assertThat(p.offer("el", "n2").memoryBytes()).isEqualTo(60L << 30);
    assertThat(p.scaleUp("el")).isEmpty(); // 30 > what is left of the cap
  }

  @Test
  void aNodeWithNoEnvelopeIsNotOffered() {
    Plan p = plan(BUDGET, 0, List.of(node("n1", "0", null)), List.of(cpu("1")));
    assertThat(p.offers()).isEmpty();
    assertThat(p.scaleUp("el")).containsExactly(cpu("1"));
  }

  @Test
  void aSpentDayOffersAndAsksNothing() {
    Plan p = plan(BUDGET, 100, List.of(node("n1", "16", null)), List.of(cpu("4")));
    assertThat(p.reason()).isEqualTo(Reason.BUDGET_SPENT);
    assertThat(p.offers()).isEmpty();
    assertThat(p.scaleUp("el")).isEmpty();
    assertThat(plan(BUDGET, 99.9, List.of(), List.of(cpu("4"))).reason()).isEqualTo(Reason.PEAK);
  }

  @Test
  void memoryCountsForTheFitToo() {
    Node n = new Node("el", "n1", Resources.of("cpu", "16", "memory", "8Gi"), Resources.ZERO);
    Plan p = plan(BUDGET, 0, List.of(n), List.of(Resources.of("cpu", "1", "memory", "16Gi")));
    assertThat(p.scaleUp("el")).containsExactly(Resources.of("cpu", "1", "memory", "16Gi"));
  }

  @Test
  void severalElasticMembersAreOfferedTogetherAndTheFirstIsAskedToScaleUp() {
    Node a = new Node("a", "n1", Resources.of("cpu", "4"), Resources.ZERO);
    Node b = new Node("b", "n1", Resources.of("cpu", "4"), Resources.ZERO);
    Plan p =
        ElasticPlan.plan(
            BUDGET,
            0,
            List.of("a", "b"),
            List.of(b, a),
            List.of(Resources.of("cpu", "4"), Resources.of("cpu", "4"), Resources.of("cpu", "4")));
    assertThat(p.offer("a", "n1")).isNotNull();
    assertThat(p.offer("b", "n1")).isNotNull();
    assertThat(p.scaleUp("a")).containsExactly(Resources.of("cpu", "4"));
    assertThat(p.scaleUp("b")).isEmpty();
  }

  @Test
  void aPodAskingForWhatNoElasticNodeHasIsNotAskedForNorDoesItUseTheBudget() {
    Resources gpu = Resources.of("cpu", "8", "memory", "4Gi", "nvidia.com/gpu", "1");
    Plan p = plan(new Elastic(8, 100), 0, List.of(), List.of(gpu, cpu("8")));
    assertThat(p.scaleUp("el")).containsExactly(cpu("8"));
    Node gpuNode =
        new Node("el", "g1", Resources.of("cpu", "0", "nvidia.com/gpu", "1"), Resources.ZERO);
    assertThat(plan(BUDGET, 0, List.of(gpuNode), List.of(gpu)).scaleUp("el")).containsExactly(gpu);
    assertThat(
            plan(
                    BUDGET,
                    0,
                    List.of(),
                    List.of(Resources.of("cpu", "1", "ephemeral-storage", "1Gi")))
                .scaleUp("el"))
        .hasSize(1);
  }
}
