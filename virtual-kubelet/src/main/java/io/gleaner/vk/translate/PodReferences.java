package io.gleaner.vk.translate;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EmptyDirVolumeSource;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EphemeralContainer;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * The ConfigMaps and Secrets a pod reads (volumes, projected sources, env, envFrom, image pull
 * secrets), which the sync step copies into the member namespace. Service-account token volumes are
 * not references: they are dropped.
 *
 * @param configMaps every ConfigMap referenced
 * @param secrets every Secret referenced
 * @param optionalConfigMaps the ConfigMaps of {@code configMaps} only ever referenced with {@code
 *     optional: true}: the pod may start without them
 * @param optionalSecrets the same for Secrets; image pull secrets count as optional (a kubelet
 *     pulls without a missing one)
 */
public record PodReferences(
    Set<String> configMaps,
    Set<String> secrets,
    Set<String> optionalConfigMaps,
    Set<String> optionalSecrets) {
  public PodReferences {
    configMaps = Set.copyOf(configMaps);
    secrets = Set.copyOf(secrets);
    optionalConfigMaps = Set.copyOf(optionalConfigMaps);
    optionalSecrets = Set.copyOf(optionalSecrets);
  }

  /** References none of which is optional. */
  public PodReferences(Set<String> configMaps, Set<String> secrets) {
    this(configMaps, secrets, Set.of(), Set.of());
  }

  public static final PodReferences NONE = new PodReferences(Set.of(), Set.of());

  public static PodReferences of(PodSpec spec) {
    Collector c = new Collector();
    for (Volume v : PodShapes.nullSafe(spec.getVolumes())) {
      if (MemberPodTranslator.isServiceAccountTokenVolume(v)) {
        continue;
      }
      if (v.getConfigMap() != null) {
        c.configMap(v.getConfigMap().getName(), v.getConfigMap().getOptional());
      }
      if (v.getSecret() != null) {
        c.secret(v.getSecret().getSecretName(), v.getSecret().getOptional());
      }
      if (v.getProjected() != null) {
        for (VolumeProjection p : PodShapes.nullSafe(v.getProjected().getSources())) {
          if (p.getConfigMap() != null) {
            c.configMap(p.getConfigMap().getName(), p.getConfigMap().getOptional());
          }
          if (p.getSecret() != null) {
            c.secret(p.getSecret().getName(), p.getSecret().getOptional());
          }
        }
      }
    }
    for (Container k : containers(spec)) {
      envReferences(c, k.getEnv(), k.getEnvFrom());
    }
    for (EphemeralContainer k : PodShapes.nullSafe(spec.getEphemeralContainers())) {
      envReferences(c, k.getEnv(), k.getEnvFrom());
    }
    for (LocalObjectReference r : PodShapes.nullSafe(spec.getImagePullSecrets())) {
      c.secret(r.getName(), true);
    }
    return c.build();
  }

  public boolean isEmpty() {
    return configMaps.isEmpty() && secrets.isEmpty();
  }

  /**
   * Points every reference of {@code spec} (modified in place) at the member copy: ConfigMap names
   * through {@code configMapName}, Secret names through {@code secretName}. References to {@code
   * absent} objects (optional ones missing in the metadata cluster) are removed the way a kubelet
   * treats them: a volume becomes an empty directory, a projected source, env var, envFrom entry or
   * image pull secret is dropped. A member's own object of the same name is thus never read.
   */
  public static void rewrite(
      PodSpec spec,
      UnaryOperator<String> configMapName,
      UnaryOperator<String> secretName,
      PodReferences absent) {
    List<Volume> volumes = new ArrayList<>();
    for (Volume v : PodShapes.nullSafe(spec.getVolumes())) {
      if (MemberPodTranslator.isServiceAccountTokenVolume(v)) {
        volumes.add(v);
        continue;
      }
      if (v.getConfigMap() != null && absent.configMaps.contains(v.getConfigMap().getName())) {
        volumes.add(emptyDir(v));
        continue;
      }
      if (v.getSecret() != null && absent.secrets.contains(v.getSecret().getSecretName())) {
        volumes.add(emptyDir(v));
        continue;
      }
      if (v.getConfigMap() != null && v.getConfigMap().getName() != null) {
        v.getConfigMap().setName(configMapName.apply(v.getConfigMap().getName()));
      }
      if (v.getSecret() != null && v.getSecret().getSecretName() != null) {
        v.getSecret().setSecretName(secretName.apply(v.getSecret().getSecretName()));
      }
      if (v.getProjected() != null && v.getProjected().getSources() != null) {
        List<VolumeProjection> sources = new ArrayList<>();
        for (VolumeProjection p : v.getProjected().getSources()) {
          if (p.getConfigMap() != null) {
            if (absent.configMaps.contains(p.getConfigMap().getName())) {
              continue;
            }
            if (p.getConfigMap().getName() != null) {
              p.getConfigMap().setName(configMapName.apply(p.getConfigMap().getName()));
            }
          }
          if (p.getSecret() != null) {
            if (absent.secrets.contains(p.getSecret().getName())) {
              continue;
            }
            if (p.getSecret().getName() != null) {
              p.getSecret().setName(secretName.apply(p.getSecret().getName()));
            }
          }
          sources.add(p);
        }
        v.getProjected().setSources(sources);
      }
      volumes.add(v);
    }
    if (spec.getVolumes() != null) {
      spec.setVolumes(volumes);
    }
    for (Container k : containers(spec)) {
      k.setEnv(rewriteEnv(k.getEnv(), configMapName, secretName, absent));
      k.setEnvFrom(rewriteEnvFrom(k.getEnvFrom(), configMapName, secretName, absent));
    }
    for (EphemeralContainer k : PodShapes.nullSafe(spec.getEphemeralContainers())) {
      k.setEnv(rewriteEnv(k.getEnv(), configMapName, secretName, absent));
      k.setEnvFrom(rewriteEnvFrom(k.getEnvFrom(), configMapName, secretName, absent));
    }
    if (spec.getImagePullSecrets() != null) {
      List<LocalObjectReference> pull = new ArrayList<>();
      for (LocalObjectReference r : spec.getImagePullSecrets()) {
        if (r.getName() == null || r.getName().isBlank() || absent.secrets.contains(r.getName())) {
          continue;
        }
        pull.add(new LocalObjectReference(secretName.apply(r.getName())));
      }
      spec.setImagePullSecrets(pull.isEmpty() ? null : pull);
    }
  }

  private static Volume emptyDir(Volume v) {
    return new VolumeBuilder()
        .withName(v.getName())
        .withEmptyDir(new EmptyDirVolumeSource())
        .build();
  }

  private static List<EnvVar> rewriteEnv(
      List<EnvVar> env,
      UnaryOperator<String> configMapName,
      UnaryOperator<String> secretName,
      PodReferences absent) {
    if (env == null) {
      return null;
    }
    List<EnvVar> out = new ArrayList<>();
    for (EnvVar e : env) {
      if (e.getValueFrom() != null) {
        var cm = e.getValueFrom().getConfigMapKeyRef();
        if (cm != null) {
          if (absent.configMaps.contains(cm.getName())) {
            continue;
          }
          if (cm.getName() != null) {
            cm.setName(configMapName.apply(cm.getName()));
          }
        }
        var s = e.getValueFrom().getSecretKeyRef();
        if (s != null) {
          if (absent.secrets.contains(s.getName())) {
            continue;
          }
          if (s.getName() != null) {
            s.setName(secretName.apply(s.getName()));
          }
        }
      }
      out.add(e);
    }
    return out;
  }

  private static List<EnvFromSource> rewriteEnvFrom(
      List<EnvFromSource> envFrom,
      UnaryOperator<String> configMapName,
      UnaryOperator<String> secretName,
      PodReferences absent) {
    if (envFrom == null) {
      return null;
    }
    List<EnvFromSource> out = new ArrayList<>();
    for (EnvFromSource e : envFrom) {
      if (e.getConfigMapRef() != null) {
        if (absent.configMaps.contains(e.getConfigMapRef().getName())) {
          continue;
        }
        if (e.getConfigMapRef().getName() != null) {
          e.getConfigMapRef().setName(configMapName.apply(e.getConfigMapRef().getName()));
        }
      }
      if (e.getSecretRef() != null) {
        if (absent.secrets.contains(e.getSecretRef().getName())) {
          continue;
        }
        if (e.getSecretRef().getName() != null) {
          e.getSecretRef().setName(secretName.apply(e.getSecretRef().getName()));
        }
      }
      out.add(e);
    }
    return out;
  }

  private static List<Container> containers(PodSpec spec) {
    List<Container> containers = new ArrayList<>(PodShapes.nullSafe(spec.getInitContainers()));
    containers.addAll(PodShapes.nullSafe(spec.getContainers()));
    return containers;
  }

  private static void envReferences(Collector c, List<EnvVar> env, List<EnvFromSource> envFrom) {
    for (EnvVar e : PodShapes.nullSafe(env)) {
      if (e.getValueFrom() != null) {
        if (e.getValueFrom().getConfigMapKeyRef() != null) {
          c.configMap(
              e.getValueFrom().getConfigMapKeyRef().getName(),
              e.getValueFrom().getConfigMapKeyRef().getOptional());
        }
        if (e.getValueFrom().getSecretKeyRef() != null) {
          c.secret(
              e.getValueFrom().getSecretKeyRef().getName(),
              e.getValueFrom().getSecretKeyRef().getOptional());
        }
      }
    }
    for (EnvFromSource e : PodShapes.nullSafe(envFrom)) {
      if (e.getConfigMapRef() != null) {
        c.configMap(e.getConfigMapRef().getName(), e.getConfigMapRef().getOptional());
      }
      if (e.getSecretRef() != null) {
        c.secret(e.getSecretRef().getName(), e.getSecretRef().getOptional());
      }
    }
  }

  /** Gathers names; a name is optional only while every reference to it is. */
  private static final class Collector {
    final Set<String> cms = new TreeSet<>();
    final Set<String> secrets = new TreeSet<>();
    final Set<String> requiredCms = new TreeSet<>();
    final Set<String> requiredSecrets = new TreeSet<>();

    void configMap(String name, Boolean optional) {
      add(cms, requiredCms, name, optional);
    }

    void secret(String name, Boolean optional) {
      add(secrets, requiredSecrets, name, optional);
    }

    private static void add(Set<String> all, Set<String> required, String name, Boolean optional) {
      if (name != null && !name.isBlank()) {
        all.add(name);
        if (!Boolean.TRUE.equals(optional)) {
          required.add(name);
        }
      }
    }

    PodReferences build() {
      Set<String> optCms = new TreeSet<>(cms);
      optCms.removeAll(requiredCms);
      Set<String> optSecrets = new TreeSet<>(secrets);
      optSecrets.removeAll(requiredSecrets);
      return new PodReferences(cms, secrets, optCms, optSecrets);
    }
  }
}
