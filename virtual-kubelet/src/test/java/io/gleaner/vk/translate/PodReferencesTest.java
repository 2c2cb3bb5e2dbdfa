package io.gleaner.vk.translate;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PodSpecBuilder;
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
  void emptySpecHasNoReferences() {
    assertThat(
            PodReferences.of(
                    new PodSpecBuilder().addNewContainer().withName("c").endContainer().build())
                .isEmpty())
        .isTrue();
  }
}
