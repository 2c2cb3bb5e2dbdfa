package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The in-memory object database of one simulated API server: objects per resource type, a global
 * resource version, and the watches ({@link WatchHub}: a bounded event history per type, so a watch
 * can resume from a resource version, and answers 410 Gone when the version is too old).
 *
 * <p>Objects are stored as Jackson trees and treated as immutable once stored: every method returns
 * the stored node itself, which callers must not modify (copy it with {@code deepCopy()} first).
 *
 * <p>All mutations run under one lock and notify watchers while holding it, so every watcher sees
 * events in resource-version order. Watchers must not block and must not call back into the store
 * from the callback thread.
 *
 * <p>Writes follow the API server's rules: those of every kind in {@link GenericRules} (names,
 * server-owned metadata, optimistic concurrency, status subresources, graceful deletion and
 * finalizers), each kind's own in its {@link ResourceRules} (pod defaulting and immutability,
 * namespace lifecycle, CustomResourceDefinitions serving new types, ...).
 */
public final class ObjectStore {
  /** Watch event types. */
  public static final String ADDED = "ADDED";

  public static final String MODIFIED = "MODIFIED";
  public static final String DELETED = "DELETED";

  private static final ObjectMapper MAPPER = Serialization.jsonMapper();

  /** Receives watch events; called with the store lock held, so it must only hand the event on. */
  @FunctionalInterface
  public interface Watcher {
    void onEvent(WatchEvent event);
  }

  /** One watch event; its JSON form is computed once and shared by all watchers. */
  public static final class WatchEvent {
    private final String type;
    private final ObjectNode object;
    private final ResourceType resourceType;
    private volatile String json;

    WatchEvent(String type, ObjectNode object, ResourceType resourceType) {
      this.type = type;
      this.object = object;
      this.resourceType = resourceType;
    }

    public String type() {
      return type;
    }

    /** The object after the change (for DELETED: the last state). Do not modify. */
    public ObjectNode object() {
      return object;
    }

    public ResourceType resourceType() {
      return resourceType;
    }

    /** {@code {"type":..., "object":...}} as sent on the wire. */
    public String json() {
      String j = json;
      if (j == null) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("type", type);
        n.set("object", object);
        j = n.toString();
        json = j;
      }
      return j;
    }
  }

  /** An open watch; close it to stop receiving events. */
  public interface Subscription extends AutoCloseable {
    @Override
    void close();
  }

  /** A consistent list: the matching objects and the resource version they were read at. */
  public record ListResult(List<ObjectNode> items, long resourceVersion) {}

  /** Options of a DELETE ({@code DeleteOptions}). */
  public record DeleteOptions(
      Long gracePeriodSeconds, String uidPrecondition, String resourceVersionPrecondition) {
    public static final DeleteOptions DEFAULT = new DeleteOptions(null, null, null);

    public static DeleteOptions withGrace(long seconds) {
      return new DeleteOptions(seconds, null, null);
    }

    /** Reads a DeleteOptions object (null-safe). */
    public static DeleteOptions from(JsonNode node) {
      if (node == null || node.isNull() || node.isMissingNode()) {
        return DEFAULT;
      }
      Long grace =
          node.hasNonNull("gracePeriodSeconds") ? node.get("gracePeriodSeconds").asLong() : null;
      JsonNode pre = node.path("preconditions");
      return new DeleteOptions(
          grace, pre.path("uid").asText(null), pre.path("resourceVersion").asText(null));
    }

    public DeleteOptions withGracePeriod(Long seconds) {
      return new DeleteOptions(seconds, uidPrecondition, resourceVersionPrecondition);
    }
  }

  private final Clock clock;
  private final ResourceTypes types;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<ResourceType, Map<String, ObjectNode>> buckets = new ConcurrentHashMap<>();
  private final WatchHub watches = new WatchHub();
  private long resourceVersion = 1;
  private volatile long mutationCount;

  public ObjectStore(Clock clock, ResourceTypes types) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.types = Objects.requireNonNull(types, "types");
  }

  public Clock clock() {
    return clock;
  }

  public ResourceTypes types() {
    return types;
  }

  /** Number of stored changes so far (a cheap "has anything changed" probe). */
  public long mutationCount() {
    return mutationCount;
  }

  /** Runs {@code action} holding the store lock, so a read-check-write sequence is atomic. */
  public <T> T atomically(Supplier<T> action) {
    lock.lock();
    try {
      return action.get();
    } finally {
      lock.unlock();
    }
  }

  private Map<String, ObjectNode> bucket(ResourceType type) {
    return buckets.computeIfAbsent(type, t -> new LinkedHashMap<>());
  }

  private static String key(String namespace, String name) {
    return namespace == null || namespace.isEmpty() ? name : namespace + "/" + name;
  }

  private static String key(ResourceType type, JsonNode obj) {
    JsonNode meta = obj.path("metadata");
    return key(
        type.namespaced() ? meta.path("namespace").asText() : null, meta.path("name").asText());
  }

  // ----------------------------------------------------------------------------------------------
  // reads

  /** The stored object or null. */
  public ObjectNode get(ResourceType type, String namespace, String name) {
    lock.lock();
    try {
      return bucket(type).get(key(type.namespaced() ? namespace : null, name));
    } finally {
      lock.unlock();
    }
  }

  /** The stored object, or a 404 {@link ApiException}. */
  public ObjectNode require(ResourceType type, String namespace, String name) {
    ObjectNode o = get(type, namespace, name);
    if (o == null) {
      throw ApiException.notFound(type, name);
    }
    return o;
  }

  /**
   * Objects of {@code type} in {@code namespace} (null: all namespaces) matching {@code filter}.
   */
  public ListResult list(ResourceType type, String namespace, Predicate<JsonNode> filter) {
    lock.lock();
    try {
      List<ObjectNode> items = new ArrayList<>();
      for (ObjectNode o : bucket(type).values()) {
        if (namespace != null
            && type.namespaced()
            && !namespace.equals(o.path("metadata").path("namespace").asText())) {
          continue;
        }
        if (filter.test(o)) {
          items.add(o);
        }
      }
      return new ListResult(items, resourceVersion);
    } finally {
      lock.unlock();
    }
  }

  public List<ObjectNode> list(ResourceType type) {
    return list(type, null, o -> true).items();
  }

  public long currentResourceVersion() {
    lock.lock();
    try {
      return resourceVersion;
    } finally {
      lock.unlock();
    }
  }

  // ----------------------------------------------------------------------------------------------
  // watch

  /**
   * Starts a watch. {@code resourceVersion} null, empty or "0" first sends every current matching
   * object as ADDED; otherwise events after that version are replayed from the history, or 410 Gone
   * is thrown when the history no longer reaches back that far.
   */
  public Subscription watch(
      ResourceType type,
      String namespace,
      Predicate<JsonNode> filter,
      String resourceVersion,
      Watcher watcher) {
    lock.lock();
    try {
      return watches.watch(
          type,
          namespace,
          filter,
          resourceVersion,
          watcher,
          bucket(type).values(),
          this.resourceVersion);
    } finally {
      lock.unlock();
    }
  }

  private void publish(
      ResourceType type, long rv, String eventType, ObjectNode object, ObjectNode old) {
    mutationCount++;
    watches.publish(type, rv, eventType, object, old);
  }

  // ----------------------------------------------------------------------------------------------
  // writes

  private long nextResourceVersion() {
    return ++resourceVersion;
  }

  /**
   * The admission of one API write ({@code CREATE}, {@code UPDATE}, {@code DELETE}): it sees the
   * object as it would be stored ({@code null} for a DELETE) and the stored one ({@code null} for a
   * CREATE), after the kind's own defaulting and validation, with the store lock held; it throws to
   * refuse. Writes of the simulated controllers pass {@link #NONE}.
   */
  @FunctionalInterface
  public interface Admit {
    Admit NONE = (operation, type, object, oldObject) -> {};

    void check(String operation, ResourceType type, ObjectNode object, ObjectNode oldObject);
  }

  /** Creates {@code body} (a copy is stored); returns the stored object. */
  public ObjectNode create(ResourceType type, String namespace, ObjectNode body) {
    return create(type, namespace, body, Admit.NONE);
  }

  /** {@link #create(ResourceType, String, ObjectNode)} through {@code admit}. */
  public ObjectNode create(ResourceType type, String namespace, ObjectNode body, Admit admit) {
    lock.lock();
    try {
      ObjectNode obj = GenericRules.newObject(type, namespace, body);
      ObjectNode meta = (ObjectNode) obj.get("metadata");
      String name = meta.path("name").asText();
      namespace = type.namespaced() ? meta.path("namespace").asText() : null;
      if (type.namespaced()) {
        NamespaceRules.requireOpen(this, type, namespace, name);
      }
      Map<String, ObjectNode> b = bucket(type);
      String k = key(namespace, name);
      if (b.containsKey(k)) {
        throw ApiException.alreadyExists(type, name);
      }
      ResourceRules rules = ResourceRules.of(type);
      GenericRules.initServerFields(meta, clock.instant(), rules.hasGeneration());
      rules.prepareCreate(this, obj);
      admit.check("CREATE", type, obj, null);
      long rv = nextResourceVersion();
      meta.put("resourceVersion", Long.toString(rv));
      b.put(k, obj);
      publish(type, rv, ADDED, obj, null);
      rules.afterCreate(this, obj);
      podChanged(type, obj);
      return obj;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Replaces an object (PUT). With {@code statusOnly} only the status is taken from {@code body}
   * (the status subresource); otherwise the status is kept for types with a status subresource.
   */
  public ObjectNode update(
      ResourceType type, String namespace, String name, ObjectNode body, boolean statusOnly) {
    return update(type, namespace, name, body, statusOnly, Admit.NONE);
  }

  /** {@link #update(ResourceType, String, String, ObjectNode, boolean)} through {@code admit}. */
  public ObjectNode update(
      ResourceType type,
      String namespace,
      String name,
      ObjectNode body,
      boolean statusOnly,
      Admit admit) {
    lock.lock();
    try {
      ObjectNode current = require(type, namespace, name);
      GenericRules.requireSameName(name, body);
      GenericRules.requireSameVersion(type, name, current, body);
      return store(
          type, current, GenericRules.replaced(type, current, body, statusOnly), statusOnly, admit);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Applies a patch (PATCH); {@code statusOnly} as in {@link #update}. Server-side apply creates
   * when absent.
   */
  public ObjectNode patch(
      ResourceType type,
      String namespace,
      String name,
      Patches.Type patchType,
      JsonNode patch,
      boolean statusOnly) {
    return patch(type, namespace, name, patchType, patch, statusOnly, Admit.NONE);
  }

  /**
   * {@link #patch(ResourceType, String, String, Patches.Type, JsonNode, boolean)} through admit.
   */
  public ObjectNode patch(
      ResourceType type,
      String namespace,
      String name,
      Patches.Type patchType,
      JsonNode patch,
      boolean statusOnly,
      Admit admit) {
    lock.lock();
    try {
      ObjectNode current = get(type, namespace, name);
      if (current == null) {
        if (patchType == Patches.Type.APPLY && !statusOnly && patch.isObject()) {
          ObjectNode body = ((ObjectNode) patch).deepCopy();
          body.with("metadata").put("name", name);
          return create(type, namespace, body, admit);
        }
        throw ApiException.notFound(type, name);
      }
      ObjectNode patched = Patches.apply(patchType, current, patch);
      GenericRules.requireSameVersion(type, name, current, patched);
      return store(
          type,
          current,
          GenericRules.patched(type, current, patched, statusOnly),
          statusOnly,
          admit);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Read-modify-write for simulated controllers: {@code change} gets a private copy of the object
   * and returns the new state (or null for "no change"). Status and spec may both change. Returns
   * the stored object, or null when the object does not exist or nothing changed.
   */
  public ObjectNode mutate(
      ResourceType type, String namespace, String name, UnaryOperator<ObjectNode> change) {
    lock.lock();
    try {
      ObjectNode current = get(type, namespace, name);
      if (current == null) {
        return null;
      }
      ObjectNode next = change.apply(current.deepCopy());
      if (next == null) {
        return null;
      }
      ObjectNode stored = storeInternal(type, current, next);
      return stored == current ? null : stored;
    } finally {
      lock.unlock();
    }
  }

  /** An update through the API: the kind's update validation and the server-owned metadata. */
  private ObjectNode store(
      ResourceType type, ObjectNode current, ObjectNode next, boolean statusOnly, Admit admit) {
    if (!statusOnly) {
      ResourceRules.of(type).prepareUpdate(current, next);
      ResourceRules.of(type).validateUpdate(current, next);
    }
    GenericRules.keepServerFields(current, next, statusOnly);
    admit.check("UPDATE", type, next, current);
    ObjectNode stored = storeInternal(type, current, next);
    if (!statusOnly && stored != current) {
      ResourceRules.of(type).afterUpdate(this, stored);
    }
    return stored;
  }

  private ObjectNode storeInternal(ResourceType type, ObjectNode current, ObjectNode next) {
    ObjectNode nextMeta = next.with("metadata");
    nextMeta.put("resourceVersion", current.path("metadata").path("resourceVersion").asText());
    if (next.equals(current)) {
      return current;
    }
    Map<String, ObjectNode> b = bucket(type);
    String k = key(type, current);
    if (GenericRules.finalized(next) && ResourceRules.of(type).mayRemoveWhenFinalized(next)) {
      return remove(type, b, k, next);
    }
    long rv = nextResourceVersion();
    nextMeta.put("resourceVersion", Long.toString(rv));
    b.put(k, next);
    publish(type, rv, MODIFIED, next, current);
    podChanged(type, next);
    return next;
  }

  /** A pod came, changed or went: the quotas of its namespace count it again. */
  private void podChanged(ResourceType type, ObjectNode pod) {
    if (type.equals(ResourceTypes.PODS)) {
      String ns = pod.path("metadata").path("namespace").asText();
      if (QuotaRules.any(this, ns)) {
        QuotaRules.recount(this, ns);
      }
    }
  }

  private ObjectNode remove(
      ResourceType type, Map<String, ObjectNode> b, String k, ObjectNode last) {
    ObjectNode old = b.remove(k);
    long rv = nextResourceVersion();
    ObjectNode tomb = last.deepCopy();
    tomb.with("metadata").put("resourceVersion", Long.toString(rv));
    publish(type, rv, DELETED, tomb, old);
    ResourceRules.of(type).afterDelete(this, tomb);
    podChanged(type, tomb);
    return tomb;
  }

  /**
   * Deletes an object as the API server does: preconditions (409 on mismatch), pods gracefully
   * ({@code deletionTimestamp} + {@code deletionGracePeriodSeconds}, the kubelet removes them
   * later), finalizers (marked, removed once the finalizers are gone). Returns the object's state
   * after the call.
   */
  public ObjectNode delete(
      ResourceType type, String namespace, String name, DeleteOptions options) {
    return delete(type, namespace, name, options, Admit.NONE);
  }

  /** {@link #delete(ResourceType, String, String, DeleteOptions)} through {@code admit}. */
  public ObjectNode delete(
      ResourceType type, String namespace, String name, DeleteOptions options, Admit admit) {
    lock.lock();
    try {
      ObjectNode current = require(type, namespace, name);
      GenericRules.requirePreconditions(type, name, current, options);
      admit.check("DELETE", type, null, current);
      Map<String, ObjectNode> b = bucket(type);
      String k = key(type, current);
      long grace = ResourceRules.of(type).gracePeriod(current, options);
      ObjectNode next = GenericRules.markedForDeletion(current, grace, clock.instant());
      if (next == null) {
        return remove(type, b, k, current);
      }
      if (next != current) {
        long rv = nextResourceVersion();
        next.with("metadata").put("resourceVersion", Long.toString(rv));
        b.put(k, next);
        publish(type, rv, MODIFIED, next, current);
      }
      return next;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Removes an object at once, ignoring grace periods and finalizers (like {@code --force
   * --grace-period=0}).
   */
  public ObjectNode forceDelete(ResourceType type, String namespace, String name) {
    lock.lock();
    try {
      ObjectNode current = get(type, namespace, name);
      if (current == null) {
        return null;
      }
      return remove(type, bucket(type), key(type, current), current);
    } finally {
      lock.unlock();
    }
  }

  /** Removes Events whose last timestamp is older than {@code ttl} (the API server's event TTL). */
  public int expireEvents(Duration ttl) {
    return atomically(() -> EventRules.expire(this, ttl));
  }

  /**
   * Open watches over every resource type: what clients are listening (tests use it to see that a
   * client's informers stopped).
   */
  public int watchCount() {
    return watches.watchCount();
  }

  /** Closes all watches (server shutdown). */
  public void closeAllWatches() {
    watches.closeAll();
  }

  static ArrayNode arrayOrNew(ObjectNode parent, String field) {
    JsonNode n = parent.get(field);
    if (n instanceof ArrayNode a) {
      return a;
    }
    return parent.putArray(field);
  }
}
