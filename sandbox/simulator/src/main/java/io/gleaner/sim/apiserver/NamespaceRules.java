package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Namespaces and their lifecycle: a new namespace is Active, deleting one deletes everything in it,
 * and nothing can be created in a namespace that does not exist or is being terminated (the
 * NamespaceLifecycle admission plugin).
 */
final class NamespaceRules implements ResourceRules {
  @Override
  public void prepareCreate(ObjectStore store, ObjectNode obj) {
    obj.with("status").put("phase", "Active");
  }

  @Override
  public void afterDelete(ObjectStore store, ObjectNode obj) {
    String namespace = obj.path("metadata").path("name").asText();
    for (ResourceType t : store.types().all()) {
      if (!t.namespaced()) {
        continue;
      }
      for (ObjectNode o : store.list(t, namespace, x -> true).items()) {
        store.forceDelete(t, namespace, o.path("metadata").path("name").asText());
      }
    }
  }

  /**
   * Refuses to create {@code name} of {@code type} in {@code namespace} when the namespace does not
   * exist (404) or is being terminated (403).
   */
  static void requireOpen(ObjectStore store, ResourceType type, String namespace, String name) {
    ObjectNode ns = store.get(ResourceTypes.NAMESPACES, null, namespace);
    if (ns == null) {
      throw ApiException.notFound(ResourceTypes.NAMESPACES, namespace);
    }
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
  }
}
