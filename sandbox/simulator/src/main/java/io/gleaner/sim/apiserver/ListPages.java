package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The {@code <Kind>List} answers of list and deletecollection requests, and list paging: {@code
 * limit} items from the offset a {@code continue} token carries, with the token of the next page
 * while items remain.
 */
final class ListPages {
  private ListPages() {}

  /**
   * One page of {@code items} (read at {@code resourceVersion}) as {@code limit} and {@code cont}
   * (the request's parameters, null or empty when absent) ask; 400 for a malformed token.
   */
  static ObjectNode page(
      ResourceType type, List<ObjectNode> items, long resourceVersion, String limit, String cont) {
    int offset = 0;
    if (cont != null && !cont.isEmpty()) {
      try {
        offset = Integer.parseInt(cont);
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("invalid continue token \"" + cont + "\"");
      }
    }
    String next = null;
    if (limit != null && !limit.isEmpty() && Integer.parseInt(limit) > 0) {
      int end = Math.min(items.size(), offset + Integer.parseInt(limit));
      if (end < items.size()) {
        next = Integer.toString(end);
      }
      items = items.subList(Math.min(offset, items.size()), end);
    }
    ObjectNode list = empty(type, resourceVersion);
    if (next != null) {
      list.with("metadata").put("continue", next);
    }
    ArrayNode array = (ArrayNode) list.get("items");
    items.forEach(array::add);
    return list;
  }

  /** A {@code <Kind>List} without items, read at {@code resourceVersion}. */
  static ObjectNode empty(ResourceType type, long resourceVersion) {
    ObjectNode list = HttpJson.MAPPER.createObjectNode();
    list.put("kind", type.kind() + "List");
    list.put("apiVersion", type.apiVersion());
    list.putObject("metadata").put("resourceVersion", Long.toString(resourceVersion));
    list.putArray("items");
    return list;
  }
}
