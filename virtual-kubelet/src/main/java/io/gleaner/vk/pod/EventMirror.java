package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.meta.informer.Informers;
import io.gleaner.vk.translate.MemberNames;
import io.gleaner.vk.translate.StatusMirror;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-emits member Events about Gleaner pods (FailedScheduling, Pulled, Started, BackOff, ...) as
 * Events on the metadata pods, so {@code kubectl describe pod} in the metadata cluster tells the
 * story. Capped at a rate; what exceeds it is counted and dropped. An event is emitted when it last
 * happened after {@link #START_SLACK} before the mirror began watching its member: the pods placed
 * as a leader begins to act have their Scheduled and Started events made before the first list may
 * complete, while older ones were a previous leader's to mirror (a repeat would only merge into the
 * event it wrote, whose name is derived from the member event's). By time, not by whether the first
 * list is done: fabric8 hands the list's items to the handler after the informer counts as started.
 */
final class EventMirror implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EventMirror.class);

  interface MetaLookup {
    Pod metaPodFor(String cluster, String namespace, String name);
  }

  private final KubernetesClient meta;
  private final MemberClusters members;
  private final MetaLookup lookup;
  private final Clock clock;
  private final VkMetrics metrics;
  private final int perSecond;
  private final String nodeName;
  private final Map<String, Watched> watched = new ConcurrentHashMap<>();

  /**
   * How long before the mirror began watching a member an event may have happened, and be mirrored.
   */
  static final Duration START_SLACK = Duration.ofSeconds(30);

  /** {@code since}: events that last happened before this are not emitted. */
  private record Watched(
      KubernetesClient client, SharedIndexInformer<Event> informer, Instant since) {}

  private final ExecutorService writer =
      Executors.newSingleThreadExecutor(WorkQueue.threads("vk-events"));
  private long windowSecond;
  private int inWindow;
  private boolean closed;

  EventMirror(
      KubernetesClient meta,
      MemberClusters members,
      MetaLookup lookup,
      Clock clock,
      VkMetrics metrics,
      int perSecond,
      String nodeName) {
    this.meta = meta;
    this.members = members;
    this.lookup = lookup;
    this.clock = clock;
    this.metrics = metrics;
    this.perSecond = perSecond;
    this.nodeName = nodeName;
  }

  /** Starts an informer per member, in the background; returns at once. */
  void start() {
    syncMembers();
  }

  /**
   * Brings the informers in line with {@link MemberClusters}: one per member and client; those of
   * members that are gone are stopped. A member that does not answer is retried with backoff.
   */
  synchronized void syncMembers() {
    if (closed) {
      return;
    }
    java.util.Set<String> names = members.names();
    for (String cluster : names) {
      java.util.Optional<KubernetesClient> client = members.client(cluster);
      Watched current = watched.get(cluster);
      if (client.isEmpty() || (current != null && current.client() == client.get())) {
        continue;
      }
      stop(cluster);
      SharedIndexInformer<Event> inf =
          client.get().v1().events().inAnyNamespace().runnableInformer(0);
      Informers.keepRetrying(inf, log, "events of member " + cluster);
      inf.addEventHandler(
          new ResourceEventHandler<>() {
            @Override
            public void onAdd(Event e) {
              offer(cluster, e);
            }

            @Override
            public void onUpdate(Event old, Event e) {
              if (!Objects.equals(old.getCount(), e.getCount())
                  || !Objects.equals(old.getMessage(), e.getMessage())) {
                offer(cluster, e);
              }
            }

            @Override
            public void onDelete(Event e, boolean unknown) {}
          });
      Watched w = new Watched(client.get(), inf, clock.instant().minus(START_SLACK));
      watched.put(cluster, w);
      inf.start();
    }
    for (String cluster : List.copyOf(watched.keySet())) {
      if (!names.contains(cluster)) {
        stop(cluster);
      }
    }
  }

  private void stop(String cluster) {
    Watched w = watched.remove(cluster);
    if (w != null) {
      w.informer().close();
    }
  }

  private void offer(String cluster, Event e) {
    Watched w = watched.get(cluster);
    if (w == null || memberPod(e) == null || !at(e).isAfter(w.since())) {
      return;
    }
    if (!admit()) {
      metrics.event("dropped");
      return;
    }
    writer.execute(() -> emit(cluster, e));
  }

  private synchronized boolean admit() {
    long second = clock.millis() / 1000;
    if (second != windowSecond) {
      windowSecond = second;
      inWindow = 0;
    }
    return perSecond > 0 && inWindow++ < perSecond;
  }

  /** When the event last happened (its last timestamp, event time or creation). */
  private static Instant at(Event e) {
    for (String t :
        new String[] {
          e.getLastTimestamp(),
          e.getEventTime() == null ? null : e.getEventTime().getTime(),
          e.getMetadata() == null ? null : e.getMetadata().getCreationTimestamp()
        }) {
      if (t != null && !t.isBlank()) {
        try {
          return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException ex) {
          // the next one
        }
      }
    }
    return Instant.MIN;
  }

  /**
   * The member pod an event is about: a Gleaner pod itself, or the claim of one of its generic
   * ephemeral volumes (why the volume is not provisioned, e.g. a StorageClass the member lacks);
   * null for anything else.
   */
  private static String memberPod(Event e) {
    ObjectReference o = e.getInvolvedObject();
    if (o == null || o.getName() == null) {
      return null;
    }
    if ("Pod".equals(o.getKind())) {
      return o.getName().startsWith(MemberNames.PREFIX) ? o.getName() : null;
    }
    if ("PersistentVolumeClaim".equals(o.getKind())) {
      return MemberNames.podOfClaim(o.getName()).orElse(null);
    }
    return null;
  }

  private void emit(String cluster, Event e) {
    Pod pod = lookup.metaPodFor(cluster, e.getInvolvedObject().getNamespace(), memberPod(e));
    if (pod == null) {
      return;
    }
    String ns = pod.getMetadata().getNamespace();
    String name =
        pod.getMetadata().getName()
            + "."
            + shortHash(cluster + "/" + e.getMetadata().getUid() + "/" + e.getMetadata().getName());
    String now = StatusMirror.time(clock.instant());
    String about =
        "Pod".equals(e.getInvolvedObject().getKind())
            ? ""
            : "volume claim " + e.getInvolvedObject().getName() + ": ";
    String message = "[" + cluster + "] " + about + Objects.toString(e.getMessage(), "");
    Event out =
        new EventBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .endMetadata()
            .withInvolvedObject(
                new ObjectReferenceBuilder()
                    .withKind("Pod")
                    .withApiVersion("v1")
                    .withNamespace(ns)
                    .withName(pod.getMetadata().getName())
                    .withUid(pod.getMetadata().getUid())
                    .withFieldPath(
                        "Pod".equals(e.getInvolvedObject().getKind())
                            ? e.getInvolvedObject().getFieldPath()
                            : null)
                    .build())
            .withReason(e.getReason())
            .withMessage(message)
            .withType(e.getType())
            .withCount(e.getCount() == null ? 1 : e.getCount())
            .withFirstTimestamp(e.getFirstTimestamp() == null ? now : e.getFirstTimestamp())
            .withLastTimestamp(e.getLastTimestamp() == null ? now : e.getLastTimestamp())
            .withNewSource()
            .withComponent("gleaner-virtual-kubelet")
            .withHost(nodeName)
            .endSource()
            .withReportingComponent("gleaner.io/virtual-kubelet")
            .withReportingInstance(nodeName)
            .build();
    metrics.event(write(meta, out) ? "emitted" : "failed");
  }

  /**
   * Creates {@code out} in the metadata cluster or, when an event of its name exists (409), merges
   * its count, last timestamp and message into it. Neither reads the event: the chart grants create
   * and patch on events, not get (a patch by name alone would read it first: the client fetches the
   * object it patches unless given it). True when written.
   */
  static boolean write(KubernetesClient meta, Event out) {
    String ns = out.getMetadata().getNamespace();
    try {
      meta.v1().events().inNamespace(ns).resource(out).create();
      return true;
    } catch (KubernetesClientException ex) {
      if (ex.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        return false;
      }
    }
    try {
      meta.v1()
          .events()
          .inNamespace(ns)
          .resource(out)
          .patch(
              PatchContext.of(PatchType.JSON_MERGE),
              Serialization.asJson(
                  Map.of(
                      "count", out.getCount(),
                      "lastTimestamp", out.getLastTimestamp(),
                      "message", out.getMessage())));
      return true;
    } catch (KubernetesClientException ex) {
      return false;
    }
  }

  private static String shortHash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    writer.shutdownNow();
    synchronized (this) {
      closed = true;
      List.copyOf(watched.keySet()).forEach(this::stop);
    }
  }
}
