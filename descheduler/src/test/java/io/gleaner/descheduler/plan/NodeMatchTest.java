package io.gleaner.descheduler.plan;

import static io.gleaner.descheduler.plan.Fixtures.lent;
import static io.gleaner.descheduler.plan.Fixtures.pending;
import static io.gleaner.descheduler.plan.Fixtures.withAffinity;
import static io.gleaner.descheduler.plan.Fixtures.withTaints;
import static io.gleaner.descheduler.plan.Fixtures.withTolerations;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gleaner.meta.kube.KubeNodeSelectorRequirement;
import io.gleaner.meta.kube.KubeNodeSelectorTerm;
import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.kube.KubeToleration;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeMatchTest {

  @Test
  void requiredAffinityMatchesTheNodeNameAndTaintsNeedTolerations() {
    // matchFields on metadata.name used to be dropped, leaving an empty term that matched no node.
    PendingPod onN1 =
        withAffinity(
            pending("p", "2"),
            new KubeNodeSelectorTerm(
                List.of(),
                List.of(KubeNodeSelectorRequirement.of("metadata.name", "In", List.of("n1")))));
    assertThat(NodeMatch.mismatch(onN1, lent("n1", "8"))).isNull();
    assertThat(NodeMatch.mismatch(onN1, lent("n2", "8")))
        .isEqualTo("required node affinity does not match");

    LentNode tainted =
        withTaints(
            lent("n1", "8"),
            KubeTaint.of("soft", "", "PreferNoSchedule"),
            KubeTaint.of("dedicated", "gpu", "NoExecute"));
    assertThat(NodeMatch.mismatch(pending("p", "2"), tainted))
        .isEqualTo("untolerated taint dedicated=gpu:NoExecute");
    assertThat(
            NodeMatch.mismatch(
                withTolerations(pending("p", "2"), KubeToleration.exists("")), tainted))
        .isNull();
  }

  @Test
  void classesAndPools() {
    assertThat(PodClass.fromLabel(null)).isEqualTo(PodClass.OFFLINE);
    assertThat(PodClass.fromLabel("near-line")).isEqualTo(PodClass.NEAR_LINE);
    assertThatThrownBy(() -> PodClass.fromLabel("urgent")).hasMessageContaining("\"urgent\"");
    assertThat(Pool.fromLabel("Volcano")).isEqualTo(Pool.VOLCANO);
    assertThat(Pool.fromLabel("other")).isEqualTo(Pool.UNKNOWN);
    assertThat(PreemptionPolicy.fromSpec("Never")).isEqualTo(PreemptionPolicy.NEVER);
    assertThatThrownBy(() -> PreemptionPolicy.fromSpec("Sometimes"))
        .hasMessageContaining("\"Sometimes\"");
  }
}
