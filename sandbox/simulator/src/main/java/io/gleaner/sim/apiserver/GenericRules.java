package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The rules every kind follows, as kube-apiserver's generic registry store applies them: names and
 * {@code generateName}, the request's namespace, the metadata the server owns (set on create, kept
 * on update), the generation bumped on spec changes, optimistic concurrency, the status
 * subresource, and DELETE's preconditions, grace period and finalizers. Pure functions on JSON
 * trees; the {@link ObjectStore} applies them and {@link ResourceRules} adds each kind's own.
 */
final class GenericRules {
  private GenericRules() {}

  /** Metadata the server owns: an update keeps the stored values. */
  private static final List<String> KEPT_ON_UPDATE =
      List.of(
          "uid",
          "creationTimestamp",
          "namespace",
          "name",
          "deletionTimestamp",
          "deletionGracePeriodSeconds",
          "generation");

  /**
   * A private copy of {@code body} as {@code type}, with its name (generated from {@code
   * generateName} if needed) and, for a namespaced type, the namespace of the request (else the
   * body's, else {@code default}); 422 without a name, 400 when the namespaces disagree.
   */
  static ObjectNode newObject(ResourceType type, String namespace, ObjectNode body) {
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
    } else {
      meta.remove("namespace");
    }
    return obj;
  }

  private static String randomSuffix() {
    String alphabet = "bcdfghjklmnpqrstvwxz2456789";
    StringBuilder sb = new StringBuilder(5);
    for (int i = 0; i < 5; i++) {
      sb.append(alphabet.charAt(ThreadLocalRandom.current().nextInt(alphabet.length())));
    }
    return sb.toString();
  }

  /** Sets the metadata the server owns on a new object (all but the resource version). */
  static void initServerFields(ObjectNode meta, Instant now, boolean hasGeneration) {
    meta.put("uid", UUID.randomUUID().toString());
    meta.put("creationTimestamp", Times.format(now));
    meta.remove("deletionTimestamp");
    meta.remove("deletionGracePeriodSeconds");
    meta.remove("selfLink");
    if (hasGeneration) {
      meta.put("generation", 1);
    }
  }

  /** 400 when the body of a PUT names another object than the URL. */
  static void requireSameName(String name, JsonNode body) {
    String bodyName = body.path("metadata").path("name").asText("");
    if (!bodyName.isEmpty() && !bodyName.equals(name)) {
      throw ApiException.badRequest(
          "the name of the object ("
              + bodyName
              + ") does not match the name on the URL ("
              + name
              + ")");
    }
  }

  /**
   * An optimistic-concurrency check: a resourceVersion in the request must be the stored one (409
   * otherwise).
   */
  static void requireSameVersion(
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
   * The state a PUT of {@code body} asks for: through the status subresource ({@code statusOnly})
   * the stored object with the body's status; else the body, with the stored status for a type that
   * has a status subresource.
   */
  static ObjectNode replaced(
      ResourceType type, ObjectNode current, ObjectNode body, boolean statusOnly) {
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
    return next;
  }

  /**
   * The state a PATCH asks for, from {@code patched} ({@code current} with the patch applied, a
   * private tree): as {@link #replaced}, except that a status patch without a status keeps it.
   */
  static ObjectNode patched(
      ResourceType type, ObjectNode current, ObjectNode patched, boolean statusOnly) {
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
    return next;
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
   * Keeps the server-owned metadata of {@code current} in {@code next}; a write to the main
   * resource that changes the spec bumps the generation of a kind that has one.
   */
  static void keepServerFields(ObjectNode current, ObjectNode next, boolean statusOnly) {
    ObjectNode curMeta = (ObjectNode) current.get("metadata");
    ObjectNode nextMeta = next.with("metadata");
    for (String f : KEPT_ON_UPDATE) {
      if (curMeta.has(f)) {
        nextMeta.set(f, curMeta.get(f).deepCopy());
      } else {
        nextMeta.remove(f);
      }
    }
    if (!statusOnly
        && !Objects.equals(current.get("spec"), next.get("spec"))
        && curMeta.has("generation")) {
      nextMeta.put("generation", curMeta.path("generation").asLong(1) + 1);
    }
  }

  /** 409 when a DELETE's UID or resourceVersion precondition does not hold. */
  static void requirePreconditions(
      ResourceType type, String name, ObjectNode current, ObjectStore.DeleteOptions options) {
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
  }

  /**
   * What a DELETE leaves of {@code current}: with a grace period, a copy whose {@code
   * deletionTimestamp} is {@code now + grace} (unchanged when already marked with a grace period no
   * longer); with finalizers, a copy marked for deletion at once (unchanged when already so); else
   * null, the object goes now. {@code current} itself means no change.
   */
  static ObjectNode markedForDeletion(ObjectNode current, long grace, Instant now) {
    JsonNode meta = current.path("metadata");
    if (grace > 0) {
      long existing =
          meta.has("deletionGracePeriodSeconds")
              ? meta.get("deletionGracePeriodSeconds").asLong()
              : Long.MAX_VALUE;
      if (meta.has("deletionTimestamp") && existing <= grace) {
        return current;
      }
      ObjectNode next = current.deepCopy();
      next.with("metadata").put("deletionTimestamp", Times.format(now.plusSeconds(grace)));
      next.with("metadata").put("deletionGracePeriodSeconds", grace);
      return next;
    }
    if (!isEmptyArray(meta.get("finalizers"))) {
      if (meta.has("deletionTimestamp") && meta.path("deletionGracePeriodSeconds").asLong(0) == 0) {
        return current;
      }
      ObjectNode next = current.deepCopy();
      if (!meta.has("deletionTimestamp")) {
        next.with("metadata").put("deletionTimestamp", Times.format(now));
      }
      next.with("metadata").put("deletionGracePeriodSeconds", 0);
      return next;
    }
    return null;
  }

  /**
   * Whether an updated object marked for deletion has no finalizers left (then it goes, if its
   * kind's {@link ResourceRules#mayRemoveWhenFinalized} agrees).
   */
  static boolean finalized(ObjectNode obj) {
    JsonNode meta = obj.path("metadata");
    return meta.has("deletionTimestamp") && isEmptyArray(meta.get("finalizers"));
  }

  private static boolean isEmptyArray(JsonNode node) {
    return node == null || node.isNull() || (node.isArray() && node.isEmpty());
  }
}
