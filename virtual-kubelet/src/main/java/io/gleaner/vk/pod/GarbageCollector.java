package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.vk.translate.PodReferences;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic garbage collection in the members: member pods of this installation that no metadata
 * pod wants any more (orphans, duplicates, abandoned), copies of ConfigMaps and Secrets that no
 * member pod references (leaks), and PodGroups of gangs no member pod belongs to any more. Never
 * collects on the word of a cache alone.
 */
final class GarbageCollector {
  private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);

  private final KubernetesClient meta;
  private final PodInformers informers;
  private final Map<String, TrackedPod> tracked;
  private final MemberClusters members;
  private final ObjectSync objectSync;
  private final MemberPodGroups podGroups;
  private final VkMetrics metrics;
  private final Clock clock;
  private final Duration minAge;

  GarbageCollector(
      KubernetesClient meta,
      PodInformers informers,
      Map<String, TrackedPod> tracked,
      MemberClusters members,
      ObjectSync objectSync,
      MemberPodGroups podGroups,
      VkMetrics metrics,
      Clock clock,
      Duration minAge) {
    this.podGroups = podGroups;
    this.meta = meta;
    this.informers = informers;
    this.tracked = tracked;
    this.members = members;
    this.objectSync = objectSync;
    this.metrics = metrics;
    this.clock = clock;
    this.minAge = minAge;
  }

  /**
   * Deletes this installation's copies of ConfigMaps and Secrets that no member pod of it (member
   * caches) references any more; a member's own objects are never listed. Returns how many.
   */
  int collectUnusedCopies() {
    int deleted = 0;
    for (Map.Entry<String, SharedIndexInformer<Pod>> e : informers.memberInformers().entrySet()) {
      String cluster = e.getKey();
      Optional<KubernetesClient> client = members.client(cluster);
      if (client.isEmpty() || !members.isHealthy(cluster) || !e.getValue().hasSynced()) {
        continue;
      }
      Set<String> inUse = new HashSet<>();
      for (Pod m : e.getValue().getStore().list()) {
        inUse.addAll(
            ObjectSync.useKeys(m.getMetadata().getNamespace(), PodReferences.of(m.getSpec())));
      }
      try {
        int n = objectSync.collect(cluster, client.get(), inUse);
        if (n > 0) {
          log.info("deleted {} unused ConfigMap/Secret copies in {}", n, cluster);
        }
        deleted += n;
      } catch (KubernetesClientException ex) {
        metrics.error(cluster, "gc_copies");
      }
    }
    return deleted;
  }

  /**
   * Deletes this installation's PodGroups in the members that no member pod of it (member caches)
   * names any more: the gang finished, was deleted or reclaimed. Returns how many.
   */
  int collectPodGroups() {
    int deleted = 0;
    for (Map.Entry<String, SharedIndexInformer<Pod>> e : informers.memberInformers().entrySet()) {
      String cluster = e.getKey();
      Optional<KubernetesClient> client = members.client(cluster);
      if (client.isEmpty() || !members.isHealthy(cluster) || !e.getValue().hasSynced()) {
        continue;
      }
      Set<String> inUse = new HashSet<>();
      for (Pod m : e.getValue().getStore().list()) {
        String group = PodInformers.annotation(m, GleanerKeys.VOLCANO_GROUP_NAME);
        if (group != null) {
          inUse.add(m.getMetadata().getNamespace() + "/" + group);
        }
      }
      try {
        int n = podGroups.collect(cluster, client.get(), inUse);
        if (n > 0) {
          log.info("deleted {} PodGroups of finished gangs in {}", n, cluster);
        }
        deleted += n;
      } catch (KubernetesClientException ex) {
        metrics.error(cluster, "gc_podgroups");
      }
    }
    return deleted;
  }

  /**
   * Deletes member pods of this installation (informers are scoped by the instance label) whose
   * metadata pod is gone, or that duplicate a pod tracked in another cluster, or whose metadata pod
   * Gleaner has failed. Returns how many.
   */
  int collectOrphans() {
    int deleted = 0;
    long now = clock.millis();
    for (Map.Entry<String, SharedIndexInformer<Pod>> e : informers.memberInformers().entrySet()) {
      String cluster = e.getKey();
      Optional<KubernetesClient> client = members.client(cluster);
      if (client.isEmpty() || !members.isHealthy(cluster)) {
        continue;
      }
      for (Pod m : e.getValue().getStore().list()) {
        String uid = PodInformers.metaUidOf(m);
        if (uid == null || m.getMetadata().getDeletionTimestamp() != null) {
          continue;
        }
        TrackedPod t = tracked.get(uid);
        Pod metaPod = informers.metaPod(uid);
        boolean orphan =
            metaPod == null
                && (t == null || now - t.firstSeenMs > minAge.toMillis())
                && olderThan(m, now, minAge);
        boolean duplicate =
            t != null
                && t.cluster != null
                && !cluster.equals(t.cluster)
                && t.state == TrackedPod.State.CREATED;
        boolean abandoned = metaPod != null && t != null && t.state == TrackedPod.State.ABANDONED;
        if (orphan && metaPodExists(m, uid)) {
          continue; // the cache is behind: never collect on its word alone
        }
        if (orphan || duplicate || abandoned) {
          try {
            client
                .get()
                .pods()
                .inNamespace(m.getMetadata().getNamespace())
                .withName(m.getMetadata().getName())
                .delete();
            deleted++;
            log.info(
                "garbage-collected member pod {}/{} in {} ({})",
                m.getMetadata().getNamespace(),
                m.getMetadata().getName(),
                cluster,
                orphan ? "metadata pod gone" : duplicate ? "duplicate" : "abandoned");
          } catch (KubernetesClientException ex) {
            metrics.error(cluster, "gc");
          }
        }
      }
    }
    return deleted;
  }

  /**
   * Asks the metadata API server whether the member pod's metadata pod still exists; errors count
   * as "exists".
   */
  private boolean metaPodExists(Pod member, String uid) {
    String ns = PodInformers.annotation(member, GleanerKeys.META_NAMESPACE);
    String name = PodInformers.annotation(member, GleanerKeys.META_NAME);
    if (ns == null || name == null) {
      return false;
    }
    try {
      Pod live = meta.pods().inNamespace(ns).withName(name).get();
      return live != null && uid.equals(live.getMetadata().getUid());
    } catch (KubernetesClientException e) {
      metrics.error("metadata", "get_pod");
      return true;
    }
  }

  /**
   * Whether the pod was created at least {@code age} before {@code nowMs}; a pod without a
   * (readable) creation time counts as old.
   */
  static boolean olderThan(Pod m, long nowMs, Duration age) {
    return olderThan(m.getMetadata().getCreationTimestamp(), nowMs, age);
  }

  /** As {@link #olderThan(Pod, long, Duration)}, for an object's creation timestamp. */
  static boolean olderThan(String created, long nowMs, Duration age) {
    if (created == null) {
      return true;
    }
    try {
      return nowMs - Instant.parse(created).toEpochMilli() >= age.toMillis();
    } catch (RuntimeException e) {
      return true;
    }
  }
}
