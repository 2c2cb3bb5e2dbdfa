package io.gleaner.meta.informer;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * An informer item store that keeps each object as deflated JSON, a few hundred bytes, instead of
 * its fabric8 object graph (a Pod is 7-9 KB on the heap: every nested model object carries its own
 * map of additional properties). A controller that caches tens of thousands of pods in several
 * informers pays for that in heap; this store trades it for decoding on read (tens of microseconds
 * per object).
 *
 * <p>Compression uses a preset dictionary of the keys and values Kubernetes objects share, so that
 * even a small object compresses well on its own. Objects are returned as new instances on every
 * read: callers must not rely on identity, and changes to a returned object never reach the cache
 * (as with any informer cache, do not modify).
 *
 * <p>Thread-safe: the informer writes under its cache lock; reads come from any thread.
 */
public final class CompactItemStore<T extends HasMetadata> implements ItemStore<T> {
  private static final ObjectMapper JSON = Serialization.jsonMapper();
  private static final byte[] DICTIONARY = dictionary();
  private static final ThreadLocal<Deflater> DEFLATER =
      ThreadLocal.withInitial(() -> new Deflater(6, true));
  private static final ThreadLocal<Inflater> INFLATER =
      ThreadLocal.withInitial(() -> new Inflater(true));

  /** One cached object: its compact form, its secondary key and its tag. */
  private record Entry(byte[] blob, String secondary, String tag) {}

  private final Class<T> type;
  private final Function<T, String> keyFunction;
  private final Function<T, String> secondaryKey;
  private final Function<T, String> tag;
  private final Map<String, Entry> items = new ConcurrentHashMap<>();
  private final Map<String, String> bySecondary = new ConcurrentHashMap<>();

  /** A store keyed by {@code keyFunction}, with no secondary key and no tags. */
  public CompactItemStore(Class<T> type, Function<T, String> keyFunction) {
    this(type, keyFunction, o -> null, o -> null);
  }

  /**
   * @param secondaryKey a second unique key to look objects up by ({@link #bySecondaryKey}), kept
   *     in the same step as the object, so it never disagrees with the store as a separate index
   *     can (null = none for the object)
   * @param tag a short summary kept uncompressed per object ({@link #tags}), e.g. what a metric
   *     counts by; interned
   */
  public CompactItemStore(
      Class<T> type,
      Function<T, String> keyFunction,
      Function<T, String> secondaryKey,
      Function<T, String> tag) {
    this.type = Objects.requireNonNull(type, "type");
    this.keyFunction = Objects.requireNonNull(keyFunction, "keyFunction");
    this.secondaryKey = Objects.requireNonNull(secondaryKey, "secondaryKey");
    this.tag = Objects.requireNonNull(tag, "tag");
  }

  @Override
  public String getKey(T obj) {
    return keyFunction.apply(obj);
  }

  @Override
  public T put(String key, T obj) {
    String t = tag.apply(obj);
    Entry e = new Entry(encode(obj), secondaryKey.apply(obj), t == null ? null : t.intern());
    Entry old = items.put(key, e);
    if (old != null && old.secondary() != null && !old.secondary().equals(e.secondary())) {
      bySecondary.remove(old.secondary(), key);
    }
    if (e.secondary() != null) {
      // keep the key instance already held: one string per object, not one per update
      bySecondary.compute(e.secondary(), (s, held) -> key.equals(held) ? held : key);
    }
    return old == null ? null : decode(old.blob());
  }

  @Override
  public T remove(String key) {
    Entry old = items.remove(key);
    if (old == null) {
      return null;
    }
    if (old.secondary() != null) {
      bySecondary.remove(old.secondary(), key);
    }
    return decode(old.blob());
  }

  /** The object whose secondary key is {@code secondary}, or null. */
  public T bySecondaryKey(String secondary) {
    String key = secondary == null ? null : bySecondary.get(secondary);
    return key == null ? null : get(key);
  }

  /** Whether an object has this secondary key (no decoding). */
  public boolean containsSecondaryKey(String secondary) {
    return secondary != null && bySecondary.containsKey(secondary);
  }

  /** The secondary keys of all objects that have one (no decoding). */
  public Stream<String> secondaryKeys() {
    return bySecondary.keySet().stream();
  }

  /** The tags of all objects (no decoding). */
  public Stream<String> tags() {
    return items.values().stream().map(Entry::tag);
  }

  @Override
  public Stream<String> keySet() {
    return items.keySet().stream();
  }

  @Override
  public Stream<T> values() {
    return items.values().stream().map(e -> decode(e.blob()));
  }

  @Override
  public int size() {
    return items.size();
  }

  @Override
  public T get(String key) {
    Entry e = items.get(key);
    return e == null ? null : decode(e.blob());
  }

  /** Bytes held for the objects (without map overhead), for metrics and tests. */
  public long storedBytes() {
    return items.values().stream().mapToLong(e -> e.blob().length).sum();
  }

  byte[] encode(T obj) {
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(obj);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot serialize " + type.getSimpleName() + " for the informer cache", e);
    }
    Deflater d = DEFLATER.get();
    d.reset();
    d.setDictionary(DICTIONARY);
    d.setInput(json);
    d.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, json.length / 4));
    byte[] buf = new byte[2048];
    while (!d.finished()) {
      int n = d.deflate(buf);
      out.write(buf, 0, n);
    }
    // the length first, so that decoding allocates exactly once
    byte[] body = out.toByteArray();
    byte[] framed = new byte[body.length + 4];
    framed[0] = (byte) (json.length >>> 24);
    framed[1] = (byte) (json.length >>> 16);
    framed[2] = (byte) (json.length >>> 8);
    framed[3] = (byte) json.length;
    System.arraycopy(body, 0, framed, 4, body.length);
    return framed;
  }

  T decode(byte[] framed) {
    if (framed == null) {
      return null;
    }
    int length =
        (framed[0] & 0xff) << 24
            | (framed[1] & 0xff) << 16
            | (framed[2] & 0xff) << 8
            | framed[3] & 0xff;
    byte[] json = new byte[length];
    Inflater inf = INFLATER.get();
    inf.reset();
    inf.setDictionary(DICTIONARY); // raw deflate: the dictionary is set up front, not asked for
    inf.setInput(framed, 4, framed.length - 4);
    try {
      int off = 0;
      while (off < length) {
        int n = inf.inflate(json, off, length - off);
        if (n == 0 && (inf.finished() || inf.needsInput())) {
          break;
        }
        off += n;
      }
      return JSON.readValue(json, 0, off, type);
    } catch (DataFormatException | IOException e) {
      throw new IllegalStateException(
          "corrupt " + type.getSimpleName() + " in the informer cache", e);
    }
  }

  /**
   * Strings Kubernetes objects repeat, most frequent last (deflate reaches nearer matches more
   * cheaply): field names of metadata, pod spec and status, condition types, common values.
   */
  private static byte[] dictionary() {
    String d =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"annotations\":{},\"creationTimestamp\":\""
            + "\",\"deletionGracePeriodSeconds\":30,\"deletionTimestamp\":\"\",\"finalizers\":[],\"generateName\":\"\","
            + "\"generation\":1,\"labels\":{\"app\":\"\",\"controller-uid\":\"\",\"job-name\":\"\","
            + "\"batch.kubernetes.io/controller-uid\":\"\",\"batch.kubernetes.io/job-name\":\"\"},\"ownerReferences\":"
            + "[{\"apiVersion\":\"batch/v1\",\"blockOwnerDeletion\":true,\"controller\":true,\"kind\":\"Job\","
            + "\"name\":\"\",\"uid\":\"\"}],\"managedFields\":[],\"name\":\"\",\"namespace\":\"\",\"resourceVersion\":\"\","
            + "\"uid\":\"\"},\"spec\":{\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
            + "{\"nodeSelectorTerms\":[{\"matchExpressions\":[],\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":"
            + "\"In\",\"values\":[\"\"]}]}]}}},\"automountServiceAccountToken\":false,\"containers\":[{\"args\":[],"
            + "\"command\":[],\"env\":[{\"name\":\"\",\"value\":\"\"}],\"image\":\"\",\"imagePullPolicy\":\"IfNotPresent\","
            + "\"name\":\"main\",\"ports\":[],\"resources\":{\"limits\":{\"cpu\":\"\",\"memory\":\"\"},\"requests\":"
            + "{\"cpu\":\"\",\"memory\":\"\",\"nvidia.com/gpu\":\"\",\"kubernetes.io/batch-cpu\":\"\","
            + "\"kubernetes.io/batch-memory\":\"\"}},\"terminationMessagePath\":\"/dev/termination-log\","
            + "\"terminationMessagePolicy\":\"File\",\"volumeMounts\":[]}],\"dnsPolicy\":\"ClusterFirst\","
            + "\"enableServiceLinks\":true,\"nodeName\":\"\",\"nodeSelector\":{\"type\":\"virtual-kubelet\"},"
            + "\"preemptionPolicy\":\"Never\",\"priority\":-200,\"priorityClassName\":\"gleaner-offline\","
            + "\"restartPolicy\":\"Never\",\"schedulerName\":\"default-scheduler\",\"securityContext\":{},"
            + "\"serviceAccountName\":\"default\",\"terminationGracePeriodSeconds\":30,\"tolerations\":[{\"effect\":"
            + "\"NoSchedule\",\"key\":\"virtual-kubelet.io/provider\",\"operator\":\"Exists\"},{\"effect\":\"NoExecute\","
            + "\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"tolerationSeconds\":300},{\"effect\":"
            + "\"NoExecute\",\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"tolerationSeconds\":300}],"
            + "\"volumes\":[]},\"status\":{\"conditions\":[{\"lastProbeTime\":null,\"lastTransitionTime\":\"\",\"message\":"
            + "\"\",\"reason\":\"\",\"status\":\"True\",\"type\":\"PodReadyToStartContainers\"},{\"status\":\"True\",\"type\":"
            + "\"Initialized\"},{\"status\":\"True\",\"type\":\"Ready\"},{\"status\":\"True\",\"type\":\"ContainersReady\"},"
            + "{\"status\":\"True\",\"type\":\"PodScheduled\"}],\"containerStatuses\":[{\"containerID\":"
            + "\"containerd://\",\"image\":\"\",\"imageID\":\"\",\"lastState\":{},\"name\":\"main\",\"ready\":true,"
            + "\"restartCount\":0,\"started\":true,\"state\":{\"running\":{\"startedAt\":\"\"},\"terminated\":{\"exitCode\":0,"
            + "\"finishedAt\":\"\",\"reason\":\"Completed\",\"startedAt\":\"\"},\"waiting\":{\"reason\":\"ContainerCreating\"}}}],"
            + "\"hostIP\":\"\",\"hostIPs\":[{\"ip\":\"\"}],\"phase\":\"Running\",\"podIP\":\"\",\"podIPs\":[{\"ip\":\"\"}],"
            + "\"qosClass\":\"Burstable\",\"startTime\":\"\"}}"
            + "gleaner.io/cluster gleaner.io/node gleaner.io/meta-name gleaner.io/meta-namespace gleaner.io/meta-uid "
            + "gleaner.io/managed gleaner.io/instance gleaner.io/source gleaner.io/class offline near-line idle colocation "
            + "volcano Pending Succeeded Failed \"status\":\"False\" \"status\":\"True\",\"type\":\"Ready\"}"
            + "T00:00:00Z\",\"";
    return d.getBytes(StandardCharsets.UTF_8);
  }
}
