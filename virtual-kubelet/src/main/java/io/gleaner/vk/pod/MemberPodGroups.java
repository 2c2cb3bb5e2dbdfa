package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.kube.VolcanoPodGroups;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gangs' PodGroups in the members: mirrors a gang as a Volcano PodGroup so the member's Volcano
 * treats its pods as one gang, and deletes the mirror once no member pod of this installation names
 * it (the gang finished, was deleted or reclaimed).
 *
 * <p>Only a PodGroup with this installation's labels ({@code gleaner.io/managed=true}, {@code
 * gleaner.io/instance}) is Gleaner's: it alone is updated or deleted. A PodGroup of the mirror's
 * name that the member or another installation made is never joined nor changed; the gang's pods
 * then run without one (their gang in Gleaner's annotations only). Mirroring and collecting one
 * PodGroup are ordered by a lock, and a PodGroup mirrored less than {@code minAge} ago is never
 * collected: the pods that name it may not be in the member cache yet.
 */
final class MemberPodGroups {
  /** What mirroring came to. */
  enum Mirror {
    /** Gleaner's PodGroup exists with the gang's minMember: name it in the member pods. */
    MIRRORED,
    /** The member serves no Volcano PodGroup. */
    NOT_SERVED,
    /** The name is taken by a PodGroup that is not this installation's. */
    TAKEN,
    /**
     * The member's RBAC does not let Gleaner create PodGroups (member chart's rbac.volcano off).
     */
    FORBIDDEN
  }

  private final String instance;
  private final Clock clock;
  private final Duration minAge;

  /** cluster/ns/name → the monitor ordering its mirror and its collection. */
  private final Map<String, Object> locks = new ConcurrentHashMap<>();

  /** cluster/ns/name → when a gang pod last needed it (clock millis). */
  private final Map<String, Long> lastUsed = new ConcurrentHashMap<>();

  MemberPodGroups(String instance, Clock clock, Duration minAge) {
    this.instance = instance;
    this.clock = clock;
    this.minAge = minAge;
  }

  /**
   * Makes sure the member has this installation's PodGroup {@code ns/name} for gang {@code gangId}
   * with {@code minMember}. Throws {@link KubernetesClientException} on API errors (transient).
   */
  Mirror mirror(
      String cluster,
      KubernetesClient client,
      String ns,
      String name,
      String gangId,
      int minMember,
      OwnerReference owner) {
    String key = key(cluster, ns, name);
    synchronized (lock(key)) {
      lastUsed.put(key, clock.millis());
      GenericKubernetesResource pg =
          new GenericKubernetesResourceBuilder()
              .withApiVersion(GleanerKeys.VOLCANO_PODGROUP_API_VERSION)
              .withKind(GleanerKeys.VOLCANO_PODGROUP_KIND)
              .withNewMetadata()
              .withNamespace(ns)
              .withName(name)
              .addToLabels(GleanerKeys.MANAGED, "true")
              .addToLabels(GleanerKeys.INSTANCE, instance)
              .addToAnnotations(GleanerKeys.GANG, gangId)
              .withOwnerReferences(owner == null ? List.of() : List.of(owner))
              .endMetadata()
              .build();
      pg.setAdditionalProperty("spec", Map.of("minMember", minMember));
      try {
        client
            .genericKubernetesResources(VolcanoPodGroups.CONTEXT)
            .inNamespace(ns)
            .resource(pg)
            .create();
        return Mirror.MIRRORED;
      } catch (KubernetesClientException e) {
        if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
          return Mirror.NOT_SERVED;
        }
        if (e.getCode() == HttpURLConnection.HTTP_FORBIDDEN) {
          return Mirror.FORBIDDEN;
        }
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
      }
      GenericKubernetesResource live =
          client
              .genericKubernetesResources(VolcanoPodGroups.CONTEXT)
              .inNamespace(ns)
              .withName(name)
              .get();
      if (live == null) {
        throw new KubernetesClientException(
            "PodGroup " + ns + "/" + name + " in " + cluster + " vanished while mirroring");
      }
      if (!isOwn(live, instance)) {
        return Mirror.TAKEN;
      }
      if (!Integer.valueOf(minMember).equals(minMemberOf(live))) {
        // an earlier gang of the same name left it (not collected yet): it now stands for this one
        Map<String, Object> spec = new HashMap<>(specOf(live));
        spec.put("minMember", minMember);
        live.setAdditionalProperty("spec", spec);
        client
            .genericKubernetesResources(VolcanoPodGroups.CONTEXT)
            .inNamespace(ns)
            .resource(live)
            .update();
      }
      return Mirror.MIRRORED;
    }
  }

  /**
   * Deletes this installation's PodGroups in the member that no member pod names ({@code inUse}:
   * {@code namespace/name} of the member pods' {@code scheduling.k8s.io/group-name}) and that no
   * gang pod needed within {@code minAge}. Returns how many; a member serving no PodGroup has none.
   */
  int collect(String cluster, KubernetesClient client, Set<String> inUse) {
    List<GenericKubernetesResource> own;
    try {
      own =
          client
              .genericKubernetesResources(VolcanoPodGroups.CONTEXT)
              .inAnyNamespace()
              .withLabels(Map.of(GleanerKeys.MANAGED, "true", GleanerKeys.INSTANCE, instance))
              .list()
              .getItems();
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND
          || e.getCode() == HttpURLConnection.HTTP_FORBIDDEN) {
        return 0; // no PodGroups served, or none Gleaner may make there
      }
      throw e;
    }
    int deleted = 0;
    for (GenericKubernetesResource pg : own) {
      String ns = pg.getMetadata().getNamespace();
      String name = pg.getMetadata().getName();
      if (!isOwn(pg, instance) || inUse.contains(ns + "/" + name)) {
        continue;
      }
      String key = key(cluster, ns, name);
      synchronized (lock(key)) {
        long now = clock.millis();
        Long used = lastUsed.get(key);
        if (used != null && now - used < minAge.toMillis()
            || !GarbageCollector.olderThan(pg.getMetadata().getCreationTimestamp(), now, minAge)) {
          continue;
        }
        client
            .genericKubernetesResources(VolcanoPodGroups.CONTEXT)
            .inNamespace(ns)
            .withName(name)
            .delete();
        lastUsed.remove(key);
        deleted++;
      }
    }
    return deleted;
  }

  /** Whether a PodGroup is this installation's (both of its labels). */
  static boolean isOwn(GenericKubernetesResource pg, String instance) {
    Map<String, String> labels = pg.getMetadata().getLabels();
    return labels != null
        && "true".equals(labels.get(GleanerKeys.MANAGED))
        && instance.equals(labels.get(GleanerKeys.INSTANCE));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> specOf(GenericKubernetesResource pg) {
    Object spec = pg.getAdditionalProperties().get("spec");
    return spec instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  private static Integer minMemberOf(GenericKubernetesResource pg) {
    Object mm = specOf(pg).get("minMember");
    return mm instanceof Number n ? n.intValue() : null;
  }

  private Object lock(String key) {
    return locks.computeIfAbsent(key, k -> new Object());
  }

  private static String key(String cluster, String ns, String name) {
    return cluster + "/" + ns + "/" + name;
  }
}
