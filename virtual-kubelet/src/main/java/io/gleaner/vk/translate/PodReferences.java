package io.gleaner.vk.translate;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The ConfigMaps and Secrets a pod reads (volumes, projected sources, env, envFrom, image pull
 * secrets), which the sync step copies into the member namespace. Service-account token volumes are
 * not references: they are dropped.
 */
public record PodReferences(Set<String> configMaps, Set<String> secrets) {
  public PodReferences {
    configMaps = Set.copyOf(configMaps);
    secrets = Set.copyOf(secrets);
  }

  public static PodReferences of(PodSpec spec) {
    Set<String> cms = new TreeSet<>();
    Set<String> secrets = new TreeSet<>();
    for (Volume v : PodShapes.nullSafe(spec.getVolumes())) {
      if (MemberPodTranslator.isServiceAccountTokenVolume(v)) {
        continue;
      }
      if (v.getConfigMap() != null) {
        add(cms, v.getConfigMap().getName());
      }
      if (v.getSecret() != null) {
        add(secrets, v.getSecret().getSecretName());
      }
      if (v.getProjected() != null) {
        for (VolumeProjection p : PodShapes.nullSafe(v.getProjected().getSources())) {
          if (p.getConfigMap() != null) {
            add(cms, p.getConfigMap().getName());
          }
          if (p.getSecret() != null) {
            add(secrets, p.getSecret().getName());
          }
        }
      }
    }
    List<Container> containers = new ArrayList<>(PodShapes.nullSafe(spec.getInitContainers()));
    containers.addAll(PodShapes.nullSafe(spec.getContainers()));
    for (Container c : containers) {
      for (EnvVar e : PodShapes.nullSafe(c.getEnv())) {
        if (e.getValueFrom() != null) {
          if (e.getValueFrom().getConfigMapKeyRef() != null) {
            add(cms, e.getValueFrom().getConfigMapKeyRef().getName());
          }
          if (e.getValueFrom().getSecretKeyRef() != null) {
            add(secrets, e.getValueFrom().getSecretKeyRef().getName());
          }
        }
      }
      for (EnvFromSource e : PodShapes.nullSafe(c.getEnvFrom())) {
        if (e.getConfigMapRef() != null) {
          add(cms, e.getConfigMapRef().getName());
        }
        if (e.getSecretRef() != null) {
          add(secrets, e.getSecretRef().getName());
        }
      }
    }
    for (LocalObjectReference r : PodShapes.nullSafe(spec.getImagePullSecrets())) {
      add(secrets, r.getName());
    }
    return new PodReferences(cms, secrets);
  }

  public boolean isEmpty() {
    return configMaps.isEmpty() && secrets.isEmpty();
  }

  private static void add(Set<String> set, String name) {
    if (name != null && !name.isBlank()) {
      set.add(name);
    }
  }
}
