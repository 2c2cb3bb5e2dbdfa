package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.gleaner.meta.informer.CompactItemStore;
import io.gleaner.meta.informer.Informers;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.vk.admission.BoundPod;
import io.gleaner.vk.translate.StatusMirror;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pod controller's caches: one informer on the metadata pods bound to the virtual node and one
 * per member cluster on this installation's member pods, each over a compact store (a few hundred
 * bytes per pod) looked up by metadata pod UID. Follows {@link MemberClusters}: a member added,
 * removed or reconnected gets or loses its informer. Informer events go to an {@link Events}
 * listener; everything else here is lookup.
 */
final class PodInformers implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PodInformers.class);

  /**
   * How long a start waits for the members' first lists (real time), so that a restart adopts what
   * they hold instead of placing again; a member still not listed by then is used once it lists,
   * and delays nothing else.
   */
  static final Duration MEMBER_LIST_WAIT = Duration.ofSeconds(3);

  /** What the informers report; called on informer threads. */
  interface Events {
    /** A metadata pod was added ({@code old} null) or updated. */
    void metaChanged(Pod old, Pod pod);

    /** A metadata pod is gone. */
    void metaDeleted(Pod pod);

    /** A member pod was added or updated. */
    void memberChanged(Pod member);

    /** A member pod is gone. */
    void memberDeleted(Pod member);
  }

  /** A member pod and the member cluster that holds it. */
  record Located(String cluster, Pod pod) {}

  private final KubernetesClient meta;
  private final MemberClusters members;
  private final String nodeName;
  private final String instance;

  /**
   * The metadata store also keeps each pod's "phase|class" so that counting never decodes the
   * cache.
   */
  private final CompactItemStore<Pod> metaStore =
      new CompactItemStore<>(
          Pod.class,
          Cache::metaNamespaceKeyFunc,
          p -> p.getMetadata().getUid(),
          PodCounts::phaseAndClass);

  private final Map<String, CompactItemStore<Pod>> memberStores = new ConcurrentHashMap<>();
  private final Map<String, SharedIndexInformer<Pod>> memberInformers = new ConcurrentHashMap<>();

  /** The client each member informer was built on: a new client (new kubeconfig) rebuilds it. */
  private final Map<String, KubernetesClient> memberClients = new ConcurrentHashMap<>();

  private final Map<String, CompletableFuture<Void>> memberLists = new ConcurrentHashMap<>();

  /**
   * Why a member pod that is gone was taken ({@link StatusMirror#deletedCause}: Gleaner's reason,
   * or the member's for an eviction or preemption), by metadata pod UID: read from the pod's final
   * state, as its status sync may come after the cache dropped it. Only pods so marked or disrupted
   * are kept, until their sync takes it or the metadata pod goes.
   */
  private final Map<String, String> deletedCauses = new ConcurrentHashMap<>();

  /**
   * Member pods whose delete the member informers saw, by metadata pod UID: the cluster. A hint for
   * the status sync of a pod it never saw in the cache (created, then gone before its sync ran): it
   * asks the member's API at once instead of waiting for the informer. Taken by that sync; dropped
   * with the metadata pod.
   */
  private final Map<String, String> memberDeletes = new ConcurrentHashMap<>();

  /**
   * What each cached metadata pod that is not finished requests, by UID, kept as the informer
   * reports the pods (no decoding): fair admission counts the room they take at every round.
   */
  private final Map<String, BoundPod> bound = new ConcurrentHashMap<>();

  private volatile Events events;
  private volatile SharedIndexInformer<Pod> metaInformer;

  /**
   * Hands each member pod's delete notice on: at once by default. A test holds it here to act
   * between fabric8's removal of the pod from the cache and the notice, as its informer does on
   * another thread.
   */
  private volatile java.util.function.Consumer<Runnable> memberDeleteNotices = Runnable::run;

  PodInformers(KubernetesClient meta, MemberClusters members, String nodeName, String instance) {
    this.meta = meta;
    this.members = members;
    this.nodeName = nodeName;
    this.instance = instance;
  }

  /** Where the informers report; set before {@link #start}. */
  void reportTo(Events events) {
    this.events = events;
  }

  /**
   * Starts the member informers and the metadata informer and waits until the metadata informer has
   * listed (and the members, for at most {@link #MEMBER_LIST_WAIT}).
   */
  void start() {
    Events events = Objects.requireNonNull(this.events, "reportTo() first");
    syncMembers();
    SharedIndexInformer<Pod> inf =
        Informers.keepRetrying(
            meta.pods()
                .inAnyNamespace()
                .withField("spec.nodeName", nodeName)
                .runnableInformer(0)
                .itemStore(metaStore),
            log,
            "pods on " + nodeName);
    inf.removeNamespaceIndex(); // nothing looks pods up by namespace; by UID goes through the store
    inf.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Pod pod) {
            summarize(pod);
            events.metaChanged(null, pod);
          }

          @Override
          public void onUpdate(Pod old, Pod pod) {
            summarize(pod);
            events.metaChanged(old, pod);
          }

          @Override
          public void onDelete(Pod pod, boolean unknownFinalState) {
            bound.remove(pod.getMetadata().getUid());
            deletedCauses.remove(pod.getMetadata().getUid());
            memberDeletes.remove(pod.getMetadata().getUid());
            events.metaDeleted(pod);
          }
        });
    metaInformer = inf;
    // every cluster lists at once; a restart waits for the slowest list, not their sum
    inf.start().toCompletableFuture().join();
    try {
      CompletableFuture.allOf(memberLists.values().toArray(CompletableFuture[]::new))
          .get(MEMBER_LIST_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      log.warn(
          "member clusters not listed after {}: {}; they are used once they answer",
          MEMBER_LIST_WAIT,
          memberLists.entrySet().stream()
              .filter(l -> !l.getValue().isDone())
              .map(Map.Entry::getKey)
              .toList());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      log.warn("a member informer failed to start: {}", e.getCause().toString());
    }
  }

  private void summarize(Pod pod) {
    BoundPod b = BoundPod.of(pod);
    if (b == null) {
      bound.remove(pod.getMetadata().getUid());
    } else {
      bound.put(pod.getMetadata().getUid(), b);
    }
  }

  /** The cached metadata pods that are not finished, summarized (live view, no decoding). */
  Collection<BoundPod> boundPods() {
    return bound.values();
  }

  /** The summary of the cached metadata pod {@code uid}; null when it is gone or finished. */
  BoundPod boundPod(String uid) {
    return bound.get(uid);
  }

  /** True once {@link #start} ran. */
  boolean started() {
    return metaInformer != null;
  }

  /**
   * Brings the member informers in line with {@link MemberClusters}: starts one (in the background)
   * for each new member or new client, stops the informers of members that are gone.
   */
  synchronized void syncMembers() {
    Set<String> names = members.names();
    for (String cluster : names) {
      Optional<KubernetesClient> client = members.client(cluster);
      if (client.isEmpty() || client.get() == memberClients.get(cluster)) {
        continue;
      }
      if (memberInformers.containsKey(cluster)) {
        stopMemberInformer(cluster, "reconnected");
      }
      startMemberInformer(cluster, client.get());
      memberClients.put(cluster, client.get());
      memberLists.put(cluster, memberInformers.get(cluster).start().toCompletableFuture());
      log.info("member cluster {}: watching its pods", cluster);
    }
    for (String cluster : List.copyOf(memberInformers.keySet())) {
      if (!names.contains(cluster)) {
        stopMemberInformer(cluster, "removed");
      }
    }
  }

  private void startMemberInformer(String cluster, KubernetesClient client) {
    CompactItemStore<Pod> memberStore =
        new CompactItemStore<>(
            Pod.class, Cache::metaNamespaceKeyFunc, PodInformers::metaUidOf, p -> null);
    memberStores.put(cluster, memberStore);
    SharedIndexInformer<Pod> inf =
        client
            .pods()
            .inAnyNamespace()
            .withLabels(Map.of(GleanerKeys.MANAGED, "true", GleanerKeys.INSTANCE, instance))
            .runnableInformer(0)
            .itemStore(memberStore);
    inf.removeNamespaceIndex();
    // a member that does not answer is retried for as long as it is a member
    Informers.keepRetrying(inf, log, "pods of member " + cluster);
    inf.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Pod pod) {
            events.memberChanged(pod);
          }

          @Override
          public void onUpdate(Pod old, Pod pod) {
            events.memberChanged(pod);
          }

          @Override
          public void onDelete(Pod pod, boolean unknownFinalState) {
            memberDeleteNotices.accept(
                () -> {
                  String uid = metaUidOf(pod);
                  if (uid != null) {
                    StatusMirror.deletedCause(pod).ifPresent(c -> deletedCauses.put(uid, c));
                    memberDeletes.put(uid, cluster);
                  }
                  events.memberDeleted(pod);
                });
          }
        });
    memberInformers.put(cluster, inf);
  }

  private void stopMemberInformer(String cluster, String why) {
    SharedIndexInformer<Pod> inf = memberInformers.remove(cluster);
    memberClients.remove(cluster);
    memberLists.remove(cluster);
    memberStores.remove(cluster);
    if (inf != null) {
      inf.close();
      log.info("member cluster {}: no longer watching its pods ({})", cluster, why);
    }
  }

  /** Test seam: {@code dispatch} runs each member pod's delete notice (when it likes). */
  void dispatchMemberDeleteNotices(java.util.function.Consumer<Runnable> dispatch) {
    memberDeleteNotices = Objects.requireNonNull(dispatch, "dispatch");
  }

  /** The members whose pods are watched. */
  Set<String> watchedMembers() {
    return Set.copyOf(memberInformers.keySet());
  }

  /** The member informers by cluster (live view). */
  Map<String, SharedIndexInformer<Pod>> memberInformers() {
    return memberInformers;
  }

  /** The member informer of a cluster, or null when it is not watched. */
  SharedIndexInformer<Pod> memberInformer(String cluster) {
    return memberInformers.get(cluster);
  }

  /** The UIDs of the cached metadata pods (no decoding). */
  Stream<String> metaUids() {
    return metaStore.secondaryKeys();
  }

  /** The metadata UIDs the member caches hold pods of (no decoding). */
  Stream<String> memberUids() {
    return memberStores.values().stream().flatMap(CompactItemStore::secondaryKeys);
  }

  /** How many metadata pods the cache holds (no decoding). */
  int metaPodCount() {
    return metaStore.size();
  }

  /** Each cached metadata pod's "phase|class" (no decoding). */
  Stream<String> metaPodTags() {
    return metaStore.tags();
  }

  boolean hasMetaPod(String uid) {
    return metaStore.containsSecondaryKey(uid);
  }

  Pod metaPod(String uid) {
    if (metaInformer == null) {
      return null;
    }
    return metaStore.bySecondaryKey(uid);
  }

  /**
   * Why the metadata pod {@code uid}'s member pod was taken, once that pod is gone; taken (the next
   * call answers empty).
   */
  java.util.Optional<String> takeDeletedCause(String uid) {
    return java.util.Optional.ofNullable(deletedCauses.remove(uid));
  }

  /** Drops what was kept of the metadata pod {@code uid}'s gone member pod (nothing to act on). */
  void forgetGone(String uid) {
    deletedCauses.remove(uid);
    memberDeletes.remove(uid);
  }

  /**
   * Whether the member informer of {@code cluster} saw a member pod of {@code uid} deleted since
   * the last call; taken (the next call answers false until it sees another).
   */
  boolean takeMemberDeleted(String uid, String cluster) {
    String in = memberDeletes.remove(uid);
    return in != null && in.equals(cluster);
  }

  /**
   * Whether {@code cluster}'s member informer has listed: its cache holds what the member held at
   * its list and has followed it since (false while it lists, for instance after a reconnect).
   */
  boolean memberListed(String cluster) {
    SharedIndexInformer<Pod> inf = cluster == null ? null : memberInformers.get(cluster);
    return inf != null && inf.hasSynced();
  }

  /** Whether {@code cluster} has a member informer that has not listed yet. */
  boolean memberListing(String cluster) {
    SharedIndexInformer<Pod> inf = cluster == null ? null : memberInformers.get(cluster);
    return inf != null && !inf.hasSynced();
  }

  /** Whether {@code cluster}'s cache holds a member pod of {@code uid} (no decoding). */
  boolean hasMemberPod(String cluster, String uid) {
    CompactItemStore<Pod> store = memberStores.get(cluster);
    return store != null && store.containsSecondaryKey(uid);
  }

  Pod memberPod(String cluster, String uid) {
    SharedIndexInformer<Pod> inf = cluster == null ? null : memberInformers.get(cluster);
    if (inf == null) {
      return null;
    }
    CompactItemStore<Pod> store = memberStores.get(cluster);
    return store == null ? null : store.bySecondaryKey(uid);
  }

  /** Whether any member cache holds a pod of this metadata pod (no decoding). */
  boolean hasMemberPod(String uid) {
    for (CompactItemStore<Pod> s : memberStores.values()) {
      if (s.containsSecondaryKey(uid)) {
        return true;
      }
    }
    return false;
  }

  Optional<Located> memberPodAnywhere(String uid) {
    for (Map.Entry<String, SharedIndexInformer<Pod>> e : memberInformers.entrySet()) {
      CompactItemStore<Pod> store = memberStores.get(e.getKey());
      Pod pod = store == null ? null : store.bySecondaryKey(uid);
      if (pod != null) {
        return Optional.of(new Located(e.getKey(), pod));
      }
    }
    return Optional.empty();
  }

  /** The metadata pod a member pod belongs to, for event mirroring; null when not ours. */
  Pod metaPodForMember(String cluster, String namespace, String name) {
    SharedIndexInformer<Pod> inf = memberInformers.get(cluster);
    if (inf == null) {
      return null;
    }
    Pod m = inf.getStore().getByKey(namespace + "/" + name);
    String uid = m == null ? null : metaUidOf(m);
    return uid == null ? null : metaPod(uid);
  }

  /** A metadata pod by namespace and name, or null. */
  Pod metaPodByName(String namespace, String name) {
    SharedIndexInformer<Pod> inf = metaInformer;
    return inf == null ? null : inf.getStore().getByKey(namespace + "/" + name);
  }

  /** The metadata pods bound to the node (informer cache, no copy). */
  Collection<Pod> metaPods() {
    SharedIndexInformer<Pod> inf = metaInformer;
    return inf == null ? List.of() : inf.getStore().list();
  }

  /** Member pods per cluster (informer caches). */
  Map<String, List<Pod>> memberPods() {
    Map<String, List<Pod>> out = new LinkedHashMap<>();
    memberInformers.forEach((c, i) -> out.put(c, new ArrayList<>(i.getStore().list())));
    return out;
  }

  /** Objects and bytes the informer caches hold (compact form). */
  long[] footprint() {
    long objects = 0;
    long bytes = 0;
    List<CompactItemStore<Pod>> all = new ArrayList<>(memberStores.values());
    all.add(metaStore);
    for (CompactItemStore<Pod> s : all) {
      objects += s.size();
      bytes += s.storedBytes();
    }
    return new long[] {objects, bytes};
  }

  /** The metadata pod UID a member pod carries in its label, or null when it has none. */
  static String metaUidOf(Pod member) {
    Map<String, String> labels = member.getMetadata().getLabels();
    return labels == null ? null : labels.get(GleanerKeys.META_UID);
  }

  /** An annotation of a pod, or null. */
  static String annotation(Pod p, String key) {
    Map<String, String> a = p.getMetadata().getAnnotations();
    return a == null ? null : a.get(key);
  }

  @Override
  public void close() {
    SharedIndexInformer<Pod> inf = metaInformer;
    if (inf != null) {
      inf.close();
    }
    memberInformers.values().forEach(SharedIndexInformer::close);
  }
}
