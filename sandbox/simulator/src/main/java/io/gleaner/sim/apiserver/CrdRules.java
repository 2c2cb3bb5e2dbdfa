package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * CustomResourceDefinitions: a valid one serves a resource type per served version (with its
 * printer columns) once stored, and stops serving them when deleted.
 */
final class CrdRules implements ResourceRules {
  @Override
  public void prepareCreate(ObjectStore store, ObjectNode obj) {
    servedTypes(obj); // validates before storing
  }

  @Override
  public void afterCreate(ObjectStore store, ObjectNode obj) {
    for (ResourceType t : servedTypes(obj)) {
      store.types().register(t);
      for (JsonNode v : obj.path("spec").path("versions")) {
        if (v.path("name").asText().equals(t.version())) {
          List<ResourceTypes.PrinterColumn> cols = new ArrayList<>();
          for (JsonNode c : v.path("additionalPrinterColumns")) {
            cols.add(
                new ResourceTypes.PrinterColumn(
                    c.path("name").asText(),
                    c.path("type").asText("string"),
                    c.path("jsonPath").asText(),
                    c.path("priority").asInt(0)));
          }
          store.types().registerColumns(t, cols);
        }
      }
    }
  }

  @Override
  public void afterDelete(ObjectStore store, ObjectNode obj) {
    for (ResourceType t : servedTypes(obj)) {
      store.types().unregister(t);
    }
  }

  /** The served types a CRD object declares (one per served version). */
  static List<ResourceType> servedTypes(ObjectNode crd) {
    JsonNode spec = crd.path("spec");
    String group = spec.path("group").asText("");
    JsonNode names = spec.path("names");
    String plural = names.path("plural").asText("");
    String kind = names.path("kind").asText("");
    if (group.isEmpty() || plural.isEmpty() || kind.isEmpty()) {
      throw ApiException.invalid(
          ResourceTypes.CRDS,
          crd.path("metadata").path("name").asText(),
          "spec.group/spec.names.plural/spec.names.kind",
          "Required value");
    }
    boolean namespaced = !"Cluster".equals(spec.path("scope").asText("Namespaced"));
    List<String> shortNames = new ArrayList<>();
    names.path("shortNames").forEach(n -> shortNames.add(n.asText()));
    List<String> categories = new ArrayList<>();
    names.path("categories").forEach(n -> categories.add(n.asText()));
    List<ResourceType> result = new ArrayList<>();
    for (JsonNode v : spec.path("versions")) {
      if (!v.path("served").asBoolean(true)) {
        continue;
      }
      boolean status =
          v.path("subresources").has("status") || spec.path("subresources").has("status");
      Set<String> fields = new java.util.HashSet<>();
      v.path("selectableFields")
          .forEach(f -> fields.add(f.path("jsonPath").asText().replaceFirst("^\\.", "")));
      result.add(
          new ResourceType(
              group,
              v.path("name").asText(),
              plural,
              names.path("singular").asText(plural),
              kind,
              namespaced,
              shortNames,
              status,
              fields,
              categories));
    }
    return result;
  }
}
