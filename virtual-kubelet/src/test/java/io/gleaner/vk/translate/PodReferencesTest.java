package io.gleaner.vk.translate;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PodReferencesTest {
  @Test
  void collectsEveryConfigMapAndSecretReference() {
    var spec =
        new PodSpecBuilder()
            .addNewVolume()
            .withName("v1")
            .withNewConfigMap()
            .withName("cm-vol")
            .endConfigMap()
            .endVolume()
            .addNewVolume()
            .withName("v2")
            .withNewSecret()
            .withSecretName("sec-vol")
            .endSecret()
            .endVolume()
            .addNewVolume()
            .withName("v3")
            .withNewProjected()
            .addNewSource()
            .withNewConfigMap()
            .withName("cm-proj")
            .endConfigMap()
            .endSource()
            .addNewSource()
            .withNewSecret()
            .withName("sec-proj")
            .endSecret()
            .endSource()
            .endProjected()
            .endVolume()
            .addNewVolume()
            .withName("kube-api-access-x")
            .withNewProjected()
            .addNewSource()
            .withNewConfigMap()
            .withName("kube-root-ca.crt")
            .endConfigMap()
            .endSource()
            .addNewSource()
            .withNewServiceAccountToken()
            .withPath("token")
            .endServiceAccountToken()
            .endSource()
            .endProjected()
            .endVolume()
            .addNewInitContainer()
            .withName("i")
            .addNewEnv()
            .withName("A")
            .withNewValueFrom()
            .withNewConfigMapKeyRef()
            .withName("cm-env")
            .withKey("k")
            .endConfigMapKeyRef()
            .endValueFrom()
            .endEnv()
            .endInitContainer()
            .addNewContainer()
            .withName("c")
            .addNewEnv()
            .withName("B")
            .withNewValueFrom()
            .withNewSecretKeyRef()
            .withName("sec-env")
            .withKey("k")
            .endSecretKeyRef()
            .endValueFrom()
            .endEnv()
            .addNewEnvFrom()
            .withNewConfigMapRef()
            .withName("cm-from")
            .endConfigMapRef()
            .endEnvFrom()
            .addNewEnvFrom()
            .withNewSecretRef()
            .withName("sec-from")
            .endSecretRef()
            .endEnvFrom()
            .endContainer()
            .addNewImagePullSecret()
            .withName("pull")
            .endImagePullSecret()
            .build();
    PodReferences r = PodReferences.of(spec);
    assertThat(r.configMaps()).containsExactlyInAnyOrder("cm-vol", "cm-proj", "cm-env", "cm-from");
    assertThat(r.secrets())
        .containsExactlyInAnyOrder("sec-vol", "sec-proj", "sec-env", "sec-from", "pull");
    assertThat(r.isEmpty()).isFalse();
  }

  @Test
  void aNameIsOptionalOnlyWhileEveryReferenceToItIs() {
    var spec =
        new PodSpecBuilder()
            .addNewVolume()
            .withName("v1")
            .withNewConfigMap()
            .withName("both")
            .withOptional(true)
            .endConfigMap()
            .endVolume()
            .addNewVolume()
            .withName("v2")
            .withNewSecret()
            .withSecretName("opt-sec")
            .withOptional(true)
            .endSecret()
            .endVolume()
            .addNewContainer()
            .withName("c")
            .addNewEnvFrom()
            .withNewConfigMapRef()
            .withName("both")
            .endConfigMapRef()
            .endEnvFrom()
            .addNewEnvFrom()
            .withNewConfigMapRef()
            .withName("opt-cm")
            .withOptional(true)
            .endConfigMapRef()
            .endEnvFrom()
            .addNewEnv()
            .withName("S")
            .withNewValueFrom()
            .withNewSecretKeyRef()
            .withName("req-sec")
            .withKey("k")
            .withOptional(false)
            .endSecretKeyRef()
            .endValueFrom()
            .endEnv()
            .endContainer()
            .addNewImagePullSecret()
            .withName("pull")
            .endImagePullSecret()
            .build();
    PodReferences r = PodReferences.of(spec);
    assertThat(r.configMaps()).containsExactlyInAnyOrder("both", "opt-cm");
    assertThat(r.optionalConfigMaps()).containsExactly("opt-cm");
    assertThat(r.secrets()).containsExactlyInAnyOrder("opt-sec", "req-sec", "pull");
    assertThat(r.optionalSecrets()).containsExactlyInAnyOrder("opt-sec", "pull");
  }

  @Test
  void ephemeralContainersCount() {
    var spec =
        new PodSpecBuilder()
            .addNewEphemeralContainer()
            .withName("debug")
            .addNewEnvFrom()
            .withNewSecretRef()
            .withName("dbg")
            .endSecretRef()
            .endEnvFrom()
            .endEphemeralContainer()
            .build();
    assertThat(PodReferences.of(spec).secrets()).containsExactly("dbg");
  }

  @Test
  void rewritePointsEveryReferenceAtTheCopy() {
    var spec = everyReference();
    PodReferences.rewrite(spec, n -> "ns.cm." + n, n -> "ns.s." + n, PodReferences.NONE);
    PodReferences after = PodReferences.of(spec);
    assertThat(after.configMaps())
        .containsExactlyInAnyOrder(
            "ns.cm.cm-vol", "ns.cm.cm-proj", "ns.cm.cm-env", "ns.cm.cm-from");
    assertThat(after.secrets())
        .containsExactlyInAnyOrder(
            "ns.s.sec-vol",
            "ns.s.sec-proj",
            "ns.s.sec-env",
            "ns.s.sec-from",
            "ns.s.pull",
            "ns.s.dbg");
    // the service-account token volume is not a reference and is left as it is
    assertThat(spec.getVolumes().get(3).getProjected().getSources().get(0).getConfigMap().getName())
        .isEqualTo("kube-root-ca.crt");
  }

  @Test
  void rewriteRemovesReferencesToAbsentObjectsLikeAKubelet() {
    var spec = everyReference();
    PodReferences absent =
        new PodReferences(
            Set.of("cm-vol", "cm-proj", "cm-env", "cm-from"),
            Set.of("sec-vol", "sec-proj", "sec-env", "sec-from", "pull", "dbg"));
    PodReferences.rewrite(spec, n -> "x." + n, n -> "y." + n, absent);
    assertThat(PodReferences.of(spec).isEmpty()).isTrue();
    // volumes stay mountable: an absent optional ConfigMap/Secret volume is an empty directory
    assertThat(spec.getVolumes().get(0).getName()).isEqualTo("v1");
    assertThat(spec.getVolumes().get(0).getEmptyDir()).isNotNull();
    assertThat(spec.getVolumes().get(0).getConfigMap()).isNull();
    assertThat(spec.getVolumes().get(1).getEmptyDir()).isNotNull();
    assertThat(spec.getVolumes().get(2).getProjected().getSources()).isEmpty();
    assertThat(spec.getInitContainers().get(0).getEnv()).isEmpty();
    assertThat(spec.getContainers().get(0).getEnv()).extracting("name").containsExactly("PLAIN");
    assertThat(spec.getContainers().get(0).getEnvFrom()).isEmpty();
    assertThat(spec.getImagePullSecrets()).isNull();
    assertThat(spec.getEphemeralContainers().get(0).getEnvFrom()).isEmpty();
  }

  private static io.fabric8.kubernetes.api.model.PodSpec everyReference() {
    return new PodSpecBuilder()
        .addNewVolume()
        .withName("v1")
        .withNewConfigMap()
        .withName("cm-vol")
        .endConfigMap()
        .endVolume()
        .addNewVolume()
        .withName("v2")
        .withNewSecret()
        .withSecretName("sec-vol")
        .endSecret()
        .endVolume()
        .addNewVolume()
        .withName("v3")
        .withNewProjected()
        .addNewSource()
        .withNewConfigMap()
        .withName("cm-proj")
        .endConfigMap()
        .endSource()
        .addNewSource()
        .withNewSecret()
        .withName("sec-proj")
        .endSecret()
        .endSource()
        .endProjected()
        .endVolume()
        .addNewVolume()
        .withName("kube-api-access-x")
        .withNewProjected()
        .addNewSource()
        .withNewConfigMap()
        .withName("kube-root-ca.crt")
        .endConfigMap()
        .endSource()
        .addNewSource()
        .withNewServiceAccountToken()
        .withPath("token")
        .endServiceAccountToken()
        .endSource()
        .endProjected()
        .endVolume()
        .addNewInitContainer()
        .withName("i")
        .addNewEnv()
        .withName("A")
        .withNewValueFrom()
        .withNewConfigMapKeyRef()
        .withName("cm-env")
        .withKey("k")
        .endConfigMapKeyRef()
        .endValueFrom()
        .endEnv()
        .endInitContainer()
        .addNewContainer()
        .withName("c")
        .addNewEnv()
        .withName("PLAIN")
        .withValue("v")
        .endEnv()
        .addNewEnv()
        .withName("B")
        .withNewValueFrom()
        .withNewSecretKeyRef()
        .withName("sec-env")
        .withKey("k")
        .endSecretKeyRef()
        .endValueFrom()
        .endEnv()
        .addNewEnvFrom()
        .withNewConfigMapRef()
        .withName("cm-from")
        .endConfigMapRef()
        .endEnvFrom()
        .addNewEnvFrom()
        .withNewSecretRef()
        .withName("sec-from")
        .endSecretRef()
        .endEnvFrom()
        .endContainer()
        .addNewEphemeralContainer()
        .withName("debug")
        .addNewEnvFrom()
        .withNewSecretRef()
        .withName("dbg")
        .endSecretRef()
        .endEnvFrom()
        .endEphemeralContainer()
        .addNewImagePullSecret()
        .withName("pull")
        .endImagePullSecret()
        .build();
  }

  @Test
  void emptySpecHasNoReferences() {
    assertThat(
            PodReferences.of(
                    new PodSpecBuilder().addNewContainer().withName("c").endContainer().build())
                .isEmpty())
        .isTrue();
  }
}
