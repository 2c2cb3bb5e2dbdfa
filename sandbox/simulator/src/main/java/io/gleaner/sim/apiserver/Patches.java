package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.zjsonpatch.JsonPatch;
import java.util.Iterator;
import java.util.Map;

/**
 * The patch types of the API server: JSON Patch (RFC 6902), JSON merge patch (RFC 7386), strategic
 * merge patch (merge patch plus merging of well-known lists by their merge key, and {@code $patch}
 * directives) and server-side apply (applied as a strategic merge; field ownership is not tracked).
 */
public final class Patches {
  /** Lists merged by key in a strategic merge patch: field name → merge key. */
  private static final Map<String, String> MERGE_KEYS =
      Map.ofEntries(
          Map.entry("containers", "name"),
          Map.entry("initContainers", "name"),
          Map.entry("ephemeralContainers", "name"),
          Map.entry("volumes", "name"),
          Map.entry("env", "name"),
          Map.entry("volumeMounts", "mountPath"),
          Map.entry("ports", "containerPort"),
          Map.entry("conditions", "type"),
          Map.entry("addresses", "type"),
          Map.entry("ownerReferences", "uid"),
          Map.entry("imagePullSecrets", "name"),
          Map.entry("containerStatuses", "name"),
          Map.entry("initContainerStatuses", "name"),
          Map.entry("taints", "key"));

  private Patches() {}

  /** The kinds of patch, by content type. */
  public enum Type {
    JSON,
    MERGE,
    STRATEGIC,
    APPLY;

    public static Type ofContentType(String contentType) {
      String ct = contentType == null ? "" : contentType.toLowerCase();
      if (ct.startsWith("application/json-patch+json")) {
        return JSON;
      }
      if (ct.startsWith("application/merge-patch+json")) {
        return MERGE;
      }
      if (ct.startsWith("application/strategic-merge-patch+json")) {
        return STRATEGIC;
      }
      if (ct.startsWith("application/apply-patch")) {
        return APPLY;
      }
      throw new ApiException(
          415,
          "UnsupportedMediaType",
          "the body of the request was in an unknown format - "
              + "accepted media types include: application/json-patch+json, application/merge-patch+json, "
              + "application/apply-patch+yaml, application/strategic-merge-patch+json");
    }
  }

  /** Applies {@code patch} to a copy of {@code target}. */
  public static ObjectNode apply(Type type, ObjectNode target, JsonNode patch) {
    switch (type) {
      case JSON -> {
        if (!patch.isArray()) {
          throw ApiException.badRequest("json patch must be an array of operations");
        }
        try {
          JsonNode result = target;
          // One operation at a time, so that removing or replacing a missing path fails as in the
          // API server.
          for (JsonNode op : patch) {
            String kind = op.path("op").asText();
            String path = op.path("path").asText();
            if ((kind.equals("remove") || kind.equals("replace"))
                && result.at(path).isMissingNode()) {
              throw new ApiException(
                  422,
                  "Invalid",
                  "the server rejected our request due to an error in our "
                      + "request: unable to "
                      + kind
                      + " nonexistent key: "
                      + path);
            }
            result =
                JsonPatch.apply(
                    com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
                        .arrayNode()
                        .add(op),
                    result,
                    java.util.EnumSet.noneOf(io.fabric8.zjsonpatch.CompatibilityFlags.class));
          }
          if (!result.isObject()) {
            throw ApiException.badRequest("json patch did not produce an object");
          }
          return (ObjectNode) result;
        } catch (RuntimeException e) {
          if (e instanceof ApiException api) {
            throw api;
          }
          throw new ApiException(
              422,
              "Invalid",
              "the server rejected our request due to an error in our request: " + e.getMessage());
        }
      }
      case MERGE -> {
        requireObject(patch);
        return (ObjectNode) merge(target.deepCopy(), patch, false);
      }
      default -> {
        requireObject(patch);
        return (ObjectNode) merge(target.deepCopy(), patch, true);
      }
    }
  }

  private static void requireObject(JsonNode patch) {
    if (!patch.isObject()) {
      throw ApiException.badRequest("merge patch must be a JSON object");
    }
  }

  /** RFC 7386 merge of {@code patch} into {@code target} (mutates and returns target). */
  static JsonNode merge(JsonNode target, JsonNode patch, boolean strategic) {
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    ObjectNode result =
        target != null && target.isObject()
            ? (ObjectNode) target
            : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    if (strategic && "replace".equals(patch.path("$patch").asText(null))) {
      ObjectNode copy = ((ObjectNode) patch).deepCopy();
      copy.remove("$patch");
      return copy;
    }
    Iterator<Map.Entry<String, JsonNode>> it = patch.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = e.getKey();
      JsonNode value = e.getValue();
      if (strategic && key.startsWith("$")) {
        continue;
      }
      if (strategic
          && (key.startsWith("$setElementOrder/")
              || key.startsWith("$deleteFromPrimitiveList/")
              || key.startsWith("$retainKeys"))) {
        continue;
      }
      if (value.isNull()) {
        result.remove(key);
      } else if (value.isObject()) {
        result.set(key, merge(result.get(key), value, strategic));
      } else if (strategic
          && value.isArray()
          && MERGE_KEYS.containsKey(key)
          && result.get(key) != null
          && result.get(key).isArray()) {
        result.set(
            key, mergeList((ArrayNode) result.get(key), (ArrayNode) value, MERGE_KEYS.get(key)));
      } else {
        result.set(key, value.deepCopy());
      }
    }
    return result;
  }

  private static ArrayNode mergeList(ArrayNode current, ArrayNode patch, String mergeKey) {
    ArrayNode result = current.deepCopy();
    for (JsonNode element : patch) {
      if (!element.isObject() || !element.has(mergeKey)) {
        result.add(element.deepCopy());
        continue;
      }
      String keyValue = element.get(mergeKey).asText();
      int index = -1;
      for (int i = 0; i < result.size(); i++) {
        if (keyValue.equals(result.get(i).path(mergeKey).asText(null))) {
          index = i;
          break;
        }
      }
      boolean delete = "delete".equals(element.path("$patch").asText(null));
      if (delete) {
        if (index >= 0) {
          result.remove(index);
        }
      } else if (index >= 0) {
        result.set(index, merge(result.get(index), element, true));
      } else {
        ObjectNode copy = ((ObjectNode) element).deepCopy();
        copy.remove("$patch");
        result.add(copy);
      }
    }
    return result;
  }
}
