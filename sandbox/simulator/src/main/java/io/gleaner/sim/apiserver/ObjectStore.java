package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The in-memory object database of one simulated API server: objects per resource type, a global
 * resource version, a bounded event history per type (so a watch can resume from a resource
 * version, and answers 410 Gone when the version is too old), and watchers.
 *
 * <p>Objects are stored as Jackson trees and treated as immutable once stored: every method returns
 * the stored node itself, which callers must not modify (copy it with {@code deepCopy()} first).
 *
 * <p>All mutations run under one lock and notify watchers while holding it, so every watcher sees
 * events in resource-version order. Watchers must not block and must not call back into the store
 * from the callback thread.
 *
 * <p>Type-specific API semantics live here too: pod defaulting, the pod and node status
 * subresources (the main endpoint ignores status changes), graceful pod deletion, finalizers,
 * namespace existence checks, and CustomResourceDefinitions registering new served types.
 */
public final class ObjectStore {
  /** Watch event types. */
  public static final String ADDED = "ADDED";

  public static final String MODIFIED = "MODIFIED";
  public static final String DELETED = "DELETED";

  private static final ObjectMapper MAPPER = Serialization.jsonMapper();
  private static final int HISTORY = 8192;

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

  private static final class Bucket {
    final Map<String, ObjectNode> objects = new LinkedHashMap<>();
    final ArrayDeque<Stored> history = new ArrayDeque<>();
    final List<Registration> watchers = new CopyOnWriteArrayList<>();

    /** Events with resource version at or below this have been dropped from the history. */
    long evictedUpTo;
  }

  private record Stored(long rv, WatchEvent event, ObjectNode old) {}

  private final class Registration implements Subscription {
    final ResourceType type;
    final String namespace;
    final Predicate<JsonNode> filter;
    final Watcher watcher;

    Registration(ResourceType type, String namespace, Predicate<JsonNode> filter, Watcher watcher) {
      this.type = type;
      this.namespace = namespace;
      this.filter = filter;
      this.watcher = watcher;
    }

    boolean matches(ObjectNode o) {
      if (o == null) {
        return false;
      }
      if (namespace != null && !namespace.equals(o.path("metadata").path("namespace").asText())) {
        return false;
      }
      return filter.test(o);
    }

    void deliver(WatchEvent e, ObjectNode old) {
      boolean matchNew = matches(e.object());
      boolean matchOld = old != null && matches(old);
      switch (e.type()) {
        case ADDED -> {
          if (matchNew) {
            watcher.onEvent(e);
          }
        }
        case DELETED -> {
          if (matchNew) {
            watcher.onEvent(e);
          }
        }
        default -> {
          if (matchNew && matchOld) {
            watcher.onEvent(e);
          } else if (matchNew) {
            watcher.onEvent(new WatchEvent(ADDED, e.object(), type));
          } else if (matchOld) {
            watcher.onEvent(new WatchEvent(DELETED, e.object(), type));
          }
        }
      }
    }

    @Override
    public void close() {
      bucket(type).watchers.remove(this);
    }
  }

  private final Clock clock;
  private final ResourceTypes types;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<ResourceType, Bucket> buckets = new ConcurrentHashMap<>();
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

  private Bucket bucket(ResourceType type) {
    return buckets.computeIfAbsent(type, t -> new Bucket());
  }

  private static String key(String namespace, String name) {
    return namespace == null || namespace.isEmpty() ? name : namespace + "/" + name;
  }

  // ----------------------------------------------------------------------------------------------
  // reads

  /** The stored object or null. */
  public ObjectNode get(ResourceType type, String namespace, String name) {
    lock.lock();
    try {
      return bucket(type).objects.get(key(type.namespaced() ? namespace : null, name));
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
      for (ObjectNode o : bucket(type).objects.values()) {
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
      Bucket b = bucket(type);
      Registration reg =
          new Registration(type, type.namespaced() ? namespace : null, filter, watcher);
      if (resourceVersion == null || resourceVersion.isEmpty() || resourceVersion.equals("0")) {
        for (ObjectNode o : b.objects.values()) {
          if (reg.matches(o)) {
            watcher.onEvent(new WatchEvent(ADDED, o, type));
          }
        }
      } else {
        long from;
        try {
          from = Long.parseLong(resourceVersion);
        } catch (NumberFormatException e) {
          throw ApiException.badRequest("invalid resource version \"" + resourceVersion + "\"");
        }
        if (from < b.evictedUpTo) {
          throw new ApiException(
              410,
              "Expired",
              "too old resource version: " + from + " (" + this.resourceVersion + ")");
        }
        for (Stored s : b.history) {
          if (s.rv() > from) {
            reg.deliver(s.event(), s.old());
          }
        }
      }
      b.watchers.add(reg);
      return reg;
    } finally {
      lock.unlock();
    }
  }

  private void publish(
      ResourceType type, Bucket b, long rv, String eventType, ObjectNode object, ObjectNode old) {
    WatchEvent e = new WatchEvent(eventType, object, type);
    b.history.addLast(new Stored(rv, e, old));
    while (b.history.size() > HISTORY) {
      b.evictedUpTo = b.history.removeFirst().rv();
    }
    mutationCount++;
    for (Registration r : b.watchers) {
      try {
        r.deliver(e, old);
      } catch (RuntimeException ex) {
        b.watchers.remove(r);
      }
    }
  }

  // ----------------------------------------------------------------------------------------------
  // writes

  private long nextResourceVersion() {
    return ++resourceVersion;
  }

  private String now() {
    return Times.format(clock.instant());
  }

  /** Creates {@code body} (a copy is stored); returns the stored object. */
  public ObjectNode create(ResourceType type, String namespace, ObjectNode body) {
    lock.lock();
    try {
      ObjectNode obj = body.deepCopy();
      obj.put("apiVersion", type.apiVersion());
      obj.put("kind", type.kind());
      ObjectNode meta = obj.with("metadata");
      String name = meta.path("name").asText("");
      if (name.isEmpty()) {
        String gen = meta.path("generateName").asText("");
        if (gen.isEmpty()) {
          throw new ApiException(
              422,
              "Invalid",
              type.kind()
                  + ".\"\" is invalid: metadata.name: Required value: "
                  + "name or generateName is required");
        }
        name = gen + randomSuffix();
        meta.put("name", name);
      }
      if (type.namespaced()) {
        String bodyNs = meta.path("namespace").asText("");
        if (namespace == null || namespace.isEmpty()) {
          namespace = bodyNs.isEmpty() ? "default" : bodyNs;
        }
        if (!bodyNs.isEmpty() && !bodyNs.equals(namespace)) {
          throw ApiException.badRequest(
              "the namespace of the provided object does not match the namespace sent on "
                  + "the request");
        }
        meta.put("namespace", namespace);
        if (get(ResourceTypes.NAMESPACES, null, namespace) == null) {
          throw ApiException.notFound(ResourceTypes.NAMESPACES, namespace);
        }
        ObjectNode ns = get(ResourceTypes.NAMESPACES, null, namespace);
        if (ns.path("metadata").has("deletionTimestamp")) {
          throw new ApiException(
              403,
              "Forbidden",
              type.plural()
                  + " \""
                  + name
                  + "\" is forbidden: unable to create "
                  + "new content in namespace "
                  + namespace
                  + " because it is being terminated");
        }
      } else {
        meta.remove("namespace");
      }
      Bucket b = bucket(type);
      String k = key(type.namespaced() ? namespace : null, name);
      if (b.objects.containsKey(k)) {
        throw ApiException.alreadyExists(type, name);
      }
      meta.put("uid", UUID.randomUUID().toString());
      meta.put("creationTimestamp", now());
      meta.remove("deletionTimestamp");
      meta.remove("deletionGracePeriodSeconds");
      meta.remove("selfLink");
      if (!type.equals(ResourceTypes.PODS) && !type.equals(ResourceTypes.EVENTS)) {
        meta.put("generation", 1);
      }
      Admission.prepareCreate(this, type, obj);
      long rv = nextResourceVersion();
      meta.put("resourceVersion", Long.toString(rv));
      b.objects.put(k, obj);
      publish(type, b, rv, ADDED, obj, null);
      Admission.afterCreate(this, type, obj);
      return obj;
    } finally {
      lock.unlock();
    }
  }

  private static String randomSuffix() {
    String alphabet = "bcdfghjklmnpqrstvwxz2456789";
    StringBuilder sb = new StringBuilder(5);
    for (int i = 0; i < 5; i++) {
      sb.append(alphabet.charAt(ThreadLocalRandom.current().nextInt(alphabet.length())));
    }
    return sb.toString();
  }

  /**
   * Replaces an object (PUT). With {@code statusOnly} only the status is taken from {@code body}
   * (the status subresource); otherwise the status is kept for types with a status subresource.
   */
  public ObjectNode update(
      ResourceType type, String namespace, String name, ObjectNode body, boolean statusOnly) {
    lock.lock();
    try {
      ObjectNode current = require(type, namespace, name);
      String bodyName = body.path("metadata").path("name").asText("");
      if (!bodyName.isEmpty() && !bodyName.equals(name)) {
        throw ApiException.badRequest(
            "the name of the object ("
                + bodyName
                + ") does not match the name on the URL ("
                + name
                + ")");
      }
      requireSameVersion(type, name, current, body);
      ObjectNode next;
      if (statusOnly) {
        next = current.deepCopy();
        if (body.has("status")) {
          next.set("status", body.get("status").deepCopy());
        } else {
          next.remove("status");
        }
      } else {
        next = body.deepCopy();
        next.put("apiVersion", type.apiVersion());
        next.put("kind", type.kind());
        keepStoredStatus(type, current, next);
      }
      return store(type, current, next, statusOnly);
    } finally {
      lock.unlock();
    }
  }

  /**
   * An optimistic-concurrency check: a resourceVersion in the request must be the stored one (409
   * otherwise).
   */
  private static void requireSameVersion(
      ResourceType type, String name, ObjectNode current, JsonNode request) {
    String rv = request.path("metadata").path("resourceVersion").asText("");
    if (!rv.isEmpty() && !rv.equals(current.path("metadata").path("resourceVersion").asText())) {
      throw ApiException.conflict(
          type,
          name,
          "the object has been modified; please apply your changes to the latest version and try again");
    }
  }

  /**
   * Writes to the main resource never change the status of a type that has a status subresource.
   */
  private static void keepStoredStatus(ResourceType type, ObjectNode current, ObjectNode next) {
    if (type.statusSubresource()) {
      if (current.has("status")) {
        next.set("status", current.get("status").deepCopy());
      } else {
        next.remove("status");
      }
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
    lock.lock();
    try {
      ObjectNode current = get(type, namespace, name);
      if (current == null) {
        if (patchType == Patches.Type.APPLY && !statusOnly && patch.isObject()) {
          ObjectNode body = ((ObjectNode) patch).deepCopy();
          body.with("metadata").put("name", name);
          return create(type, namespace, body);
        }
        throw ApiException.notFound(type, name);
      }
      ObjectNode patched = Patches.apply(patchType, current, patch);
      requireSameVersion(type, name, current, patched);
      ObjectNode next;
      if (statusOnly) {
        next = current.deepCopy();
        if (patched.has("status")) {
          next.set("status", patched.get("status"));
        }
      } else {
        next = patched;
        keepStoredStatus(type, current, next);
      }
      return store(type, current, next, statusOnly);
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

  private ObjectNode store(
      ResourceType type, ObjectNode current, ObjectNode next, boolean statusOnly) {
    ObjectNode curMeta = (ObjectNode) current.get("metadata");
    ObjectNode nextMeta = next.with("metadata");
    for (String f :
        List.of(
            "uid",
            "creationTimestamp",
            "namespace",
            "name",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation")) {
      if (curMeta.has(f)) {
        nextMeta.set(f, curMeta.get(f).deepCopy());
      } else {
        nextMeta.remove(f);
      }
    }
    if (!statusOnly) {
      Admission.validateUpdate(this, type, current, next);
      if (!Objects.equals(current.get("spec"), next.get("spec")) && curMeta.has("generation")) {
        nextMeta.put("generation", curMeta.path("generation").asLong(1) + 1);
      }
    }
    return storeInternal(type, current, next);
  }

  private ObjectNode storeInternal(ResourceType type, ObjectNode current, ObjectNode next) {
    ObjectNode nextMeta = next.with("metadata");
    nextMeta.put("resourceVersion", current.path("metadata").path("resourceVersion").asText());
    if (next.equals(current)) {
      return current;
    }
    Bucket b = bucket(type);
    String k =
        key(
            type.namespaced() ? current.path("metadata").path("namespace").asText() : null,
            current.path("metadata").path("name").asText());
    if (nextMeta.has("deletionTimestamp")
        && isEmptyArray(nextMeta.get("finalizers"))
        && Admission.mayRemoveWhenFinalized(type, next)) {
      return remove(type, b, k, next);
    }
    long rv = nextResourceVersion();
    nextMeta.put("resourceVersion", Long.toString(rv));
    b.objects.put(k, next);
    publish(type, b, rv, MODIFIED, next, current);
    return next;
  }

  private static boolean isEmptyArray(JsonNode node) {
    return node == null || node.isNull() || (node.isArray() && node.isEmpty());
  }

  private ObjectNode remove(ResourceType type, Bucket b, String k, ObjectNode last) {
    ObjectNode old = b.objects.remove(k);
    long rv = nextResourceVersion();
    ObjectNode tomb = last.deepCopy();
    tomb.with("metadata").put("resourceVersion", Long.toString(rv));
    publish(type, b, rv, DELETED, tomb, old);
    Admission.afterDelete(this, type, tomb);
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
    lock.lock();
    try {
      ObjectNode current = require(type, namespace, name);
      JsonNode meta = current.path("metadata");
      if (options.uidPrecondition() != null
          && !options.uidPrecondition().equals(meta.path("uid").asText())) {
        throw ApiException.conflict(
            type,
            name,
            "Precondition failed: UID in precondition: "
                + options.uidPrecondition()
                + ", UID in object meta: "
                + meta.path("uid").asText());
      }
      if (options.resourceVersionPrecondition() != null
          && !options.resourceVersionPrecondition().equals(meta.path("resourceVersion").asText())) {
        throw ApiException.conflict(
            type,
            name,
            "Precondition failed: ResourceVersion in precondition: "
                + options.resourceVersionPrecondition()
                + ", ResourceVersion in object meta: "
                + meta.path("resourceVersion").asText());
      }
      Bucket b = bucket(type);
      String k = key(type.namespaced() ? meta.path("namespace").asText() : null, name);
      long grace = Admission.gracePeriod(type, current, options);
      boolean hasFinalizers = !isEmptyArray(meta.get("finalizers"));
      if (grace > 0) {
        long existing =
            meta.has("deletionGracePeriodSeconds")
                ? meta.get("deletionGracePeriodSeconds").asLong()
                : Long.MAX_VALUE;
        if (meta.has("deletionTimestamp") && existing <= grace) {
          return current;
        }
        ObjectNode next = current.deepCopy();
        Instant at = clock.instant().plusSeconds(grace);
        next.with("metadata").put("deletionTimestamp", Times.format(at));
        next.with("metadata").put("deletionGracePeriodSeconds", grace);
        long rv = nextResourceVersion();
        next.with("metadata").put("resourceVersion", Long.toString(rv));
        b.objects.put(k, next);
        publish(type, b, rv, MODIFIED, next, current);
        return next;
      }
      if (hasFinalizers) {
        if (meta.has("deletionTimestamp")
            && meta.path("deletionGracePeriodSeconds").asLong(0) == 0) {
          return current;
        }
        ObjectNode next = current.deepCopy();
        if (!meta.has("deletionTimestamp")) {
          next.with("metadata").put("deletionTimestamp", now());
        }
        next.with("metadata").put("deletionGracePeriodSeconds", 0);
        long rv = nextResourceVersion();
        next.with("metadata").put("resourceVersion", Long.toString(rv));
        b.objects.put(k, next);
        publish(type, b, rv, MODIFIED, next, current);
        return next;
      }
      return remove(type, b, k, current);
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
      String k =
          key(type.namespaced() ? current.path("metadata").path("namespace").asText() : null, name);
      return remove(type, bucket(type), k, current);
    } finally {
      lock.unlock();
    }
  }

  /** Removes Events whose last timestamp is older than {@code ttl} (the API server's event TTL). */
  public int expireEvents(Duration ttl) {
    lock.lock();
    try {
      Instant cutoff = clock.instant().minus(ttl);
      Bucket b = bucket(ResourceTypes.EVENTS);
      List<Map.Entry<String, ObjectNode>> expired = new ArrayList<>();
      for (Map.Entry<String, ObjectNode> e : b.objects.entrySet()) {
        ObjectNode ev = e.getValue();
        String ts =
            ev.path("lastTimestamp")
                .asText(ev.path("metadata").path("creationTimestamp").asText(""));
        Instant t = ts.isEmpty() ? null : Instant.parse(ts);
        if (t != null && t.isBefore(cutoff)) {
          expired.add(e);
        }
      }
      for (Map.Entry<String, ObjectNode> e : expired) {
        remove(ResourceTypes.EVENTS, b, e.getKey(), e.getValue());
      }
      return expired.size();
    } finally {
      lock.unlock();
    }
  }

  /** Removes everything of a namespace (namespace deletion). */
  void purgeNamespace(String namespace) {
    for (ResourceType t : types.all()) {
      if (!t.namespaced()) {
        continue;
      }
      Bucket b = bucket(t);
      Iterator<Map.Entry<String, ObjectNode>> it = new ArrayList<>(b.objects.entrySet()).iterator();
      while (it.hasNext()) {
        Map.Entry<String, ObjectNode> e = it.next();
        if (namespace.equals(e.getValue().path("metadata").path("namespace").asText())) {
          remove(t, b, e.getKey(), e.getValue());
        }
      }
    }
  }

  /**
   * Open watches over every resource type: what clients are listening (tests use it to see that a
   * client's informers stopped).
   */
  public int watchCount() {
    int n = 0;
    for (Bucket b : buckets.values()) {
      n += b.watchers.size();
    }
    return n;
  }

  /** Closes all watches (server shutdown). */
  public void closeAllWatches() {
    for (Bucket b : buckets.values()) {
      b.watchers.clear();
    }
  }

  static ArrayNode arrayOrNew(ObjectNode parent, String field) {
    JsonNode n = parent.get(field);
    if (n instanceof ArrayNode a) {
      return a;
    }
    return parent.putArray(field);
  }
}
