package io.gleaner.vk.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GangsTest {

  private static Pod pod(String name, Map<String, String> annotations, Map<String, String> labels) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace("ml")
        .withName(name)
        .withUid("u-" + name)
        .withAnnotations(annotations)
        .withLabels(labels)
        .endMetadata()
        .withNewStatus()
        .withPhase("Pending")
        .endStatus()
        .build();
  }

  private static GenericKubernetesResource podGroup(String apiVersion, Object minMember) {
    GenericKubernetesResource pg =
        new GenericKubernetesResourceBuilder()
            .withApiVersion(apiVersion)
            .withKind("PodGroup")
            .withNewMetadata()
            .withNamespace("ml")
            .withName("train")
            .endMetadata()
            .build();
    pg.setAdditionalProperty("spec", minMember == null ? Map.of() : Map.of("minMember", minMember));
    return pg;
  }

  @Test
  void volcanoAnnotationAndCoschedulingLabelAreRecognized() {
    Pod volcano = pod("w0", Map.of("scheduling.k8s.io/group-name", "train"), Map.of());
    Pod cosched = pod("w1", Map.of(), Map.of("scheduling.x-k8s.io/pod-group", "train"));
    Pod single = pod("s", Map.of("other", "x"), Map.of("app", "x"));

    assertThat(Gangs.of(volcano))
        .contains(new Gangs.Membership("ml", "train", Gangs.Flavor.VOLCANO));
    assertThat(Gangs.of(volcano).orElseThrow().id()).isEqualTo("ml/train");
    assertThat(Gangs.of(cosched))
        .contains(new Gangs.Membership("ml", "train", Gangs.Flavor.COSCHEDULING));
    assertThat(Gangs.of(single)).isEmpty();
    assertThat(Gangs.Flavor.VOLCANO.apiVersion()).isEqualTo("scheduling.volcano.sh/v1beta1");
    assertThat(Gangs.Flavor.COSCHEDULING.apiVersion()).isEqualTo("scheduling.x-k8s.io/v1alpha1");
  }

  @Test
  void minMemberIsReadFromEitherPodGroupAndValidated() {
    assertThat(Gangs.minMember(podGroup("scheduling.volcano.sh/v1beta1", 4))).isEqualTo(4);
    assertThat(Gangs.minMember(podGroup("scheduling.x-k8s.io/v1alpha1", "3"))).isEqualTo(3);
    assertThat(Gangs.minMember(podGroup("scheduling.volcano.sh/v1beta1", null))).isEqualTo(1);
    assertThatThrownBy(() -> Gangs.minMember(podGroup("scheduling.volcano.sh/v1beta1", "four")))
        .hasMessage("PodGroup ml/train: spec.minMember must be an integer, got \"four\"");
    assertThatThrownBy(() -> Gangs.minMember(podGroup("scheduling.volcano.sh/v1beta1", 0)))
        .hasMessage("PodGroup ml/train: spec.minMember must be at least 1, got 0");
  }

  @Test
  void aGangWaitsForItsMinimumOfLivePodsThenIsReadyWhole() {
    Map<String, String> a = Map.of("scheduling.k8s.io/group-name", "train");
    Pod w0 = pod("w0", a, Map.of());
    Pod w1 = pod("w1", a, Map.of());
    Pod w2 = pod("w2", a, Map.of());
    Pod w3 = pod("w3", a, Map.of());
    Pod failed = pod("w9", a, Map.of());
    failed.getStatus().setPhase("Failed");

    Gangs.Readiness three = Gangs.readiness(List.of(w2, w0, w1, failed), 4);
    assertThat(three).isEqualTo(new Gangs.Readiness.Waiting(3, 4));
    assertThat(((Gangs.Readiness.Waiting) three).message("ml/train"))
        .isEqualTo(
            "waiting for the gang ml/train: 3 of its minMember 4 pods are bound to the virtual"
                + " node; none is placed before all are");

    Gangs.Readiness four = Gangs.readiness(List.of(w3, w2, w0, w1, failed), 4);
    assertThat(four).isInstanceOf(Gangs.Readiness.Ready.class);
    assertThat(((Gangs.Readiness.Ready) four).pods())
        .extracting(p -> p.getMetadata().getName())
        .containsExactly("w0", "w1", "w2", "w3");
  }
}
