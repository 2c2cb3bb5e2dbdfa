package io.gleaner.sim.kubelet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.sim.kubelet.PodReferences.Kind;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PodReferencesTest {
  private final Map<String, JsonNode> objects = new HashMap<>();
  private final PodReferences.Lookup lookup = (kind, name) -> objects.get(kind + "/" + name);

  private void secret(String name, String... keys) {
    SecretBuilder b = new SecretBuilder().withNewMetadata().withName(name).endMetadata();
    for (String k : keys) {
      b.addToData(k, "dmFsdWU=");
    }
    objects.put(Kind.SECRET + "/" + name, json(b.build()));
  }

  private void configMap(String name, String... keys) {
    ConfigMapBuilder b = new ConfigMapBuilder().withNewMetadata().withName(name).endMetadata();
    for (String k : keys) {
      b.addToData(k, "value");
    }
    objects.put(Kind.CONFIGMAP + "/" + name, json(b.build()));
  }

  private static JsonNode json(Object o) {
    return Serialization.jsonMapper().valueToTree(o);
  }

  private static PodBuilder pod() {
    return new PodBuilder()
        .withNewMetadata()
        .withName("p")
        .withNamespace("team-a")
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("main")
        .withImage("busybox")
        .endContainer()
        .endSpec();
  }

  private static JsonNode json(PodBuilder b) {
    Pod p = b.build();
    return json(p);
  }

  @Test
  void aPodWithoutReferencesCanStart() {
    assertThat(PodReferences.unmountable(json(pod()), lookup)).isEmpty();
    assertThat(PodReferences.configErrors(json(pod()), lookup)).isEmpty();
  }

  @Test
  void aMissingSecretOrConfigMapVolumeFailsItsMountWithTheKubeletsMessage() {
    JsonNode pod =
        json(
            pod()
                .editSpec()
                .addNewVolume()
                .withName("creds")
                .withNewSecret()
                .withSecretName("db-creds")
                .endSecret()
                .endVolume()
                .addNewVolume()
                .withName("settings")
                .withNewConfigMap()
                .withName("app-settings")
                .endConfigMap()
                .endVolume()
                .addNewVolume()
                .withName("scratch")
                .withNewEmptyDir()
                .endEmptyDir()
                .endVolume()
                .endSpec());
    assertThat(PodReferences.unmountable(pod, lookup))
        .containsExactly(
            Map.entry(
                "creds",
                "MountVolume.SetUp failed for volume \"creds\" : secret \"db-creds\" not found"),
            Map.entry(
                "settings",
                "MountVolume.SetUp failed for volume \"settings\" : "
                    + "configmap \"app-settings\" not found"));
    secret("db-creds", "password");
    configMap("app-settings", "mode");
    assertThat(PodReferences.unmountable(pod, lookup)).isEmpty();
  }

  @Test
  void anOptionalVolumeMountsWithoutItsObject() {
    JsonNode pod =
        json(
            pod()
                .editSpec()
                .addNewVolume()
                .withName("creds")
                .withNewSecret()
                .withSecretName("db-creds")
                .withOptional(true)
                .withItems(new io.fabric8.kubernetes.api.model.KeyToPath("password", null, "pw"))
                .endSecret()
                .endVolume()
                .endSpec());
    assertThat(PodReferences.unmountable(pod, lookup)).isEmpty();
    secret("db-creds", "user");
    assertThat(PodReferences.unmountable(pod, lookup)).isEmpty();
  }

  @Test
  void aMissingItemKeyFailsTheMountUnlessOptional() {
    JsonNode pod =
        json(
            pod()
                .editSpec()
                .addNewVolume()
                .withName("creds")
                .withNewSecret()
                .withSecretName("db-creds")
                .withItems(new io.fabric8.kubernetes.api.model.KeyToPath("password", null, "pw"))
                .endSecret()
                .endVolume()
                .addNewVolume()
                .withName("settings")
                .withNewConfigMap()
                .withName("app-settings")
                .withItems(new io.fabric8.kubernetes.api.model.KeyToPath("mode", null, "mode"))
                .endConfigMap()
                .endVolume()
                .endSpec());
    secret("db-creds", "user");
    configMap("app-settings", "other");
    assertThat(PodReferences.unmountable(pod, lookup))
        .containsExactly(
            Map.entry(
                "creds",
                "MountVolume.SetUp failed for volume \"creds\" : "
                    + "references non-existent secret key: password"),
            Map.entry(
                "settings",
                "MountVolume.SetUp failed for volume \"settings\" : "
                    + "configmap references non-existent config key: mode"));
  }

  @Test
  void aProjectedVolumeAggregatesItsSourcesErrors() {
    JsonNode pod =
        json(
            pod()
                .editSpec()
                .addNewVolume()
                .withName("bundle")
                .withNewProjected()
                .addNewSource()
                .withNewSecret()
                .withName("tls")
                .endSecret()
                .endSource()
                .addNewSource()
                .withNewConfigMap()
                .withName("ca")
                .endConfigMap()
                .endSource()
                .addNewSource()
                .withNewConfigMap()
                .withName("extra")
                .withOptional(true)
                .endConfigMap()
                .endSource()
                .addNewSource()
                .withNewServiceAccountToken()
                .withPath("token")
                .endServiceAccountToken()
                .endSource()
                .endProjected()
                .endVolume()
                .endSpec());
    assertThat(PodReferences.unmountable(pod, lookup))
        .containsExactly(
            Map.entry(
                "bundle",
                "MountVolume.SetUp failed for volume \"bundle\" : "
                    + "[secret \"tls\" not found, configmap \"ca\" not found]"));
    secret("tls", "tls.crt");
    assertThat(PodReferences.unmountable(pod, lookup))
        .containsExactly(
            Map.entry(
                "bundle",
                "MountVolume.SetUp failed for volume \"bundle\" : configmap \"ca\" not found"));
    configMap("ca", "ca.crt");
    assertThat(PodReferences.unmountable(pod, lookup)).isEmpty();
  }

  @Test
  void envReferencesAreResolvedEnvFromFirstWithTheKubeletsMessages() {
    JsonNode pod =
        json(
            pod()
                .editSpec()
                .editFirstContainer()
                .addNewEnv()
                .withName("PASSWORD")
                .withNewValueFrom()
                .withNewSecretKeyRef("password", "db-creds", null)
                .endValueFrom()
                .endEnv()
                .addNewEnv()
                .withName("MODE")
                .withNewValueFrom()
                .withNewConfigMapKeyRef("mode", "app-settings", null)
                .endValueFrom()
                .endEnv()
                .addNewEnvFrom()
                .withNewSecretRef("bulk", null)
                .endEnvFrom()
                .endContainer()
                .addNewContainer()
                .withName("sidecar")
                .withImage("busybox")
                .endContainer()
                .endSpec());
    assertThat(PodReferences.configErrors(pod, lookup))
        .containsExactly(Map.entry("main", "secret \"bulk\" not found"));
    secret("bulk");
    assertThat(PodReferences.configErrors(pod, lookup))
        .containsExactly(Map.entry("main", "secret \"db-creds\" not found"));
    secret("db-creds", "user");
    assertThat(PodReferences.configErrors(pod, lookup))
        .containsExactly(Map.entry("main", "couldn't find key password in Secret team-a/db-creds"));
    secret("db-creds", "password");
    assertThat(PodReferences.configErrors(pod, lookup))
        .containsExactly(Map.entry("main", "configmap \"app-settings\" not found"));
    configMap("app-settings");
    assertThat(PodReferences.configErrors(pod, lookup))
        .containsExactly(
            Map.entry("main", "couldn't find key mode in ConfigMap team-a/app-settings"));
    configMap("app-settings", "mode");
    assertThat(PodReferences.configErrors(pod, lookup)).isEmpty();
  }

  @Test
  void optionalEnvReferencesAndInitContainersAreHonoured() {
    JsonNode pod =
        json(
            pod()
                .editSpec()
                .addNewInitContainer()
                .withName("setup")
                .withImage("busybox")
                .addNewEnvFrom()
                .withNewConfigMapRef("setup-env", null)
                .endEnvFrom()
                .endInitContainer()
                .editFirstContainer()
                .addNewEnv()
                .withName("PASSWORD")
                .withNewValueFrom()
                .withNewSecretKeyRef("password", "db-creds", true)
                .endValueFrom()
                .endEnv()
                .addNewEnvFrom()
                .withNewConfigMapRef("bulk", true)
                .endEnvFrom()
                .endContainer()
                .endSpec());
    assertThat(PodReferences.configErrors(pod, lookup))
        .containsExactly(Map.entry("setup", "configmap \"setup-env\" not found"));
    configMap("setup-env");
    secret("db-creds", "user");
    assertThat(PodReferences.configErrors(pod, lookup)).isEmpty();
  }
}
