package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.vk.translate.PodReferences;
import java.net.HttpURLConnection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Copies the ConfigMaps and Secrets a pod uses from the metadata cluster into the member namespace,
 * creating the namespace if missing. A copy is redone only when the source's resourceVersion
 * changed; copies carry the Gleaner managed/instance labels. A reference that does not exist in the
 * metadata cluster is skipped: the member kubelet then reports it the way a kubelet would
 * (CreateContainerConfigError), and that status is mirrored back.
 */
public final class ObjectSync {
  private final KubernetesClient meta;
  private final String instance;
  private final Set<String> namespaces = ConcurrentHashMap.newKeySet();
  private final Map<String, String> copied = new ConcurrentHashMap<>();

  public ObjectSync(KubernetesClient meta, String instance) {
    this.meta = meta;
    this.instance = instance;
  }

  /** Throws {@link KubernetesClientException} on API errors (transient: the caller retries). */
  public void sync(
      String cluster,
      KubernetesClient member,
      String metaNamespace,
      String memberNamespace,
      PodReferences refs) {
    ensureNamespace(cluster, member, memberNamespace);
    for (String name : refs.configMaps()) {
      ConfigMap src = meta.configMaps().inNamespace(metaNamespace).withName(name).get();
      if (src == null
          || upToDate(
              cluster, memberNamespace, "cm", name, src.getMetadata().getResourceVersion())) {
        continue;
      }
      ConfigMap copy =
          new ConfigMapBuilder()
              .withNewMetadata()
              .withName(name)
              .withNamespace(memberNamespace)
              .withLabels(labels())
              .endMetadata()
              .withData(src.getData())
              .withBinaryData(src.getBinaryData())
              .withImmutable(src.getImmutable())
              .build();
      upsert(
          () -> member.configMaps().inNamespace(memberNamespace).resource(copy).create(),
          () ->
              member
                  .configMaps()
                  .inNamespace(memberNamespace)
                  .withName(name)
                  .edit(
                      c -> {
                        c.setData(copy.getData());
                        c.setBinaryData(copy.getBinaryData());
                        return c;
                      }));
      copied.put(key(cluster, memberNamespace, "cm", name), src.getMetadata().getResourceVersion());
    }
    for (String name : refs.secrets()) {
      Secret src = meta.secrets().inNamespace(metaNamespace).withName(name).get();
      if (src == null
          || upToDate(
              cluster, memberNamespace, "secret", name, src.getMetadata().getResourceVersion())) {
        continue;
      }
      Secret copy =
          new SecretBuilder()
              .withNewMetadata()
              .withName(name)
              .withNamespace(memberNamespace)
              .withLabels(labels())
              .endMetadata()
              .withType(src.getType())
              .withData(src.getData())
              .withStringData(src.getStringData())
              .withImmutable(src.getImmutable())
              .build();
      upsert(
          () -> member.secrets().inNamespace(memberNamespace).resource(copy).create(),
          () ->
              member
                  .secrets()
                  .inNamespace(memberNamespace)
                  .withName(name)
                  .edit(
                      s -> {
                        s.setData(copy.getData());
                        s.setStringData(copy.getStringData());
                        return s;
                      }));
      copied.put(
          key(cluster, memberNamespace, "secret", name), src.getMetadata().getResourceVersion());
    }
  }

  /**
   * Makes sure the member has the PriorityClass a member pod names (the gleaner-member chart
   * installs them; a member joined without the chart gets them here, with the chart's values:
   * near-line -100, offline -200, never preempting).
   */
  public void ensurePriorityClass(String cluster, KubernetesClient member, String name) {
    String k = cluster + "/priorityclass/" + name;
    if (namespaces.contains(k)) {
      return;
    }
    if (member.scheduling().v1().priorityClasses().withName(name).get() == null) {
      try {
        member
            .scheduling()
            .v1()
            .priorityClasses()
            .resource(
                new PriorityClassBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .addToLabels(GleanerKeys.MANAGED, "true")
                    .endMetadata()
                    .withValue(GleanerKeys.PRIORITY_NEAR_LINE.equals(name) ? -100 : -200)
                    .withPreemptionPolicy("Never")
                    .withGlobalDefault(false)
                    .withDescription(
                        "Gleaner " + name + " pods: lent capacity, evicted first, never preempt")
                    .build())
            .create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
      }
    }
    namespaces.add(k);
  }

  void ensureNamespace(String cluster, KubernetesClient member, String namespace) {
    String k = cluster + "/" + namespace;
    if (namespaces.contains(k)) {
      return;
    }
    if (member.namespaces().withName(namespace).get() == null) {
      try {
        member
            .namespaces()
            .resource(
                new NamespaceBuilder()
                    .withNewMetadata()
                    .withName(namespace)
                    .addToLabels(GleanerKeys.MANAGED, "true")
                    .endMetadata()
                    .build())
            .create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
      }
    }
    namespaces.add(k);
  }

  /** Forgets what was copied to a cluster (e.g. after it was unreachable, its state is unknown). */
  public void forget(String cluster) {
    namespaces.removeIf(k -> k.startsWith(cluster + "/"));
    copied.keySet().removeIf(k -> k.startsWith(cluster + "/"));
  }

  private boolean upToDate(String cluster, String ns, String kind, String name, String rv) {
    return rv != null && rv.equals(copied.get(key(cluster, ns, kind, name)));
  }

  private Map<String, String> labels() {
    return Map.of(GleanerKeys.MANAGED, "true", GleanerKeys.INSTANCE, instance);
  }

  private static String key(String cluster, String ns, String kind, String name) {
    return cluster + "/" + ns + "/" + kind + "/" + name;
  }

  private static void upsert(Runnable create, Runnable update) {
    try {
      create.run();
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e;
      }
      update.run();
    }
  }
}
