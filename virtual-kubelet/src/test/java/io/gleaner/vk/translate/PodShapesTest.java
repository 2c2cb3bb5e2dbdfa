package io.gleaner.vk.translate;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.gleaner.api.v1.PodShape;
import io.gleaner.meta.kube.GleanerKeys;
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

  @Test
  void aDeclaredRunTimeTravelsInSecondsAndABadOneIsIgnored() {
    VirtualNode node = VirtualNode.named("gleaner");
    assertThat(PodShapes.of(Pods.meta("p").build(), node).getExpectedRuntimeSeconds()).isZero();
    assertThat(
            PodShapes.of(
                    Pods.meta("p")
                        .editMetadata()
                        .addToAnnotations(GleanerKeys.EXPECTED_RUNTIME, "1h30m")
                        .endMetadata()
                        .build(),
                    node)
                .getExpectedRuntimeSeconds())
        .isEqualTo(5400);
    for (String bad : new String[] {"soon", "-5m", "0", ""}) {
      assertThat(
              PodShapes.of(
                      Pods.meta("p")
                          .editMetadata()
                          .addToAnnotations(GleanerKeys.EXPECTED_RUNTIME, bad)
                          .endMetadata()
                          .build(),
                      node)
                  .getExpectedRuntimeSeconds())
          .as("\"%s\"", bad)
          .isZero();
    }
  }

  @Test
  void anActiveDeadlineBoundsTheRunTime() {
    VirtualNode node = VirtualNode.named("gleaner");
    assertThat(
            PodShapes.of(
                    Pods.meta("p").editSpec().withActiveDeadlineSeconds(1200L).endSpec().build(),
                    node)
                .getExpectedRuntimeSeconds())
        .as("no annotation: the deadline")
        .isEqualTo(1200);
    assertThat(
            PodShapes.of(
                    Pods.meta("p")
                        .editMetadata()
                        .addToAnnotations(GleanerKeys.EXPECTED_RUNTIME, "10m")
                        .endMetadata()
                        .editSpec()
                        .withActiveDeadlineSeconds(1200L)
                        .endSpec()
                        .build(),
                    node)
                .getExpectedRuntimeSeconds())
        .as("declared shorter than the deadline")
        .isEqualTo(600);
    assertThat(
            PodShapes.of(
                    Pods.meta("p")
                        .editMetadata()
                        .addToAnnotations(GleanerKeys.EXPECTED_RUNTIME, "1h")
                        .endMetadata()
                        .editSpec()
                        .withActiveDeadlineSeconds(1200L)
                        .endSpec()
                        .build(),
                    node)
                .getExpectedRuntimeSeconds())
        .as("declared longer: the pod is stopped at the deadline anyway")
        .isEqualTo(1200);
    assertThat(
            PodShapes.of(
                    Pods.meta("p")
                        .editMetadata()
                        .addToAnnotations(GleanerKeys.EXPECTED_RUNTIME, "soon")
                        .endMetadata()
                        .editSpec()
                        .withActiveDeadlineSeconds(300L)
                        .endSpec()
                        .build(),
                    node)
                .getExpectedRuntimeSeconds())
        .as("a bad annotation leaves the deadline")
        .isEqualTo(300);
  }
}
