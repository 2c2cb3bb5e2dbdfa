package io.gleaner.vk.translate;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.gleaner.api.v1.PodShape;
import io.gleaner.meta.resources.Resources;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PodShapesTest {
  private static PodSpecBuilder spec() {
    return new PodSpecBuilder()
        .addNewContainer()
        .withName("a")
        .withNewResources()
        .addToRequests("cpu", new Quantity("1"))
        .addToRequests("memory", new Quantity("1Gi"))
        .endResources()
        .endContainer()
        .addNewContainer()
        .withName("b")
        .withNewResources()
        .addToLimits("cpu", new Quantity("500m"))
        .endResources()
        .endContainer();
  }

  @Test
  void sumsContainersAndDefaultsRequestsFromLimits() {
    assertThat(PodShapes.effectiveRequests(spec().build()))
        .isEqualTo(Resources.of("cpu", "1500m", "memory", "1Gi"));
  }

  @Test
  void initContainerMaxAndSidecarsAndOverhead() {
    PodSpec s =
        spec()
            .addNewInitContainer()
            .withName("big-init")
            .withNewResources()
            .addToRequests("cpu", new Quantity("4"))
            .endResources()
            .endInitContainer()
            .addNewInitContainer()
            .withName("sidecar")
            .withRestartPolicy("Always")
            .withNewResources()
            .addToRequests("memory", new Quantity("1Gi"))
            .endResources()
            .endInitContainer()
            .withOverhead(Map.of("cpu", new Quantity("100m")))
            .build();
    // max(init 4 cpu, containers 1.5 cpu + sidecar) = 4 cpu; memory 1Gi + 1Gi sidecar; + 100m
    // overhead
    assertThat(PodShapes.effectiveRequests(s))
        .isEqualTo(Resources.of("cpu", "4100m", "memory", "2Gi"));
  }

  @Test
  void shapeCarriesMemberSelectorsAndTolerationsOnly() {
    PodShape shape = PodShapes.of(Pods.meta("p").build(), VirtualNode.named("gleaner"));
    assertThat(shape.getRequestsMap()).containsEntry("cpu", "500m").containsEntry("memory", "1Gi");
    assertThat(shape.getNodeSelectorMap()).containsExactly(Map.entry("disk", "ssd"));
    assertThat(shape.getTolerationsList()).extracting(t -> t.getKey()).containsExactly("gpu");
    assertThat(shape.getRequiredAffinityList()).isEmpty();
  }

  @Test
  void affinityOnlyAboutVirtualNodeDisappears() {
    var pod =
        Pods.meta("p")
            .editSpec()
            .withNewAffinity()
            .withNewNodeAffinity()
            .withNewRequiredDuringSchedulingIgnoredDuringExecution()
            .addNewNodeSelectorTerm()
            .addNewMatchExpression()
            .withKey("kubernetes.io/hostname")
            .withOperator("In")
            .withValues("gleaner")
            .endMatchExpression()
            .endNodeSelectorTerm()
            .addNewNodeSelectorTerm()
            .addNewMatchExpression()
            .withKey("zone")
            .withOperator("In")
            .withValues("a")
            .endMatchExpression()
            .endNodeSelectorTerm()
            .endRequiredDuringSchedulingIgnoredDuringExecution()
            .endNodeAffinity()
            .endAffinity()
            .endSpec()
            .build();
    // the first term matches every member node once stripped, so the ORed requirement is void
    assertThat(PodShapes.of(pod, VirtualNode.named("gleaner")).getRequiredAffinityList()).isEmpty();
  }

  @Test
  void affinityTermsAreTranslated() {
    var pod =
        Pods.meta("p")
            .editSpec()
            .withNewAffinity()
            .withNewNodeAffinity()
            .withNewRequiredDuringSchedulingIgnoredDuringExecution()
            .addNewNodeSelectorTerm()
            .addNewMatchExpression()
            .withKey("zone")
            .withOperator("NotIn")
            .withValues("a", "b")
            .endMatchExpression()
            .endNodeSelectorTerm()
            .endRequiredDuringSchedulingIgnoredDuringExecution()
            .endNodeAffinity()
            .endAffinity()
            .endSpec()
            .build();
    var terms = PodShapes.of(pod, VirtualNode.named("gleaner")).getRequiredAffinityList();
    assertThat(terms).hasSize(1);
    assertThat(terms.get(0).getMatchExpressions(0).getOperator()).isEqualTo("NotIn");
    assertThat(terms.get(0).getMatchExpressions(0).getValuesList()).containsExactly("a", "b");
  }
}
