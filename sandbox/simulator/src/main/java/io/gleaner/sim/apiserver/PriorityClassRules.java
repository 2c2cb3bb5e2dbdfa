package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** PriorityClasses: a value is required, the preemption policy defaults to PreemptLowerPriority. */
final class PriorityClassRules implements ResourceRules {
  @Override
  public void prepareCreate(ObjectStore store, ObjectNode obj) {
    if (!obj.has("value")) {
      throw ApiException.invalid(
          ResourceTypes.PRIORITY_CLASSES,
          obj.path("metadata").path("name").asText(),
          "value",
          "Required value");
    }
    if (!obj.has("preemptionPolicy")) {
      obj.put("preemptionPolicy", "PreemptLowerPriority");
    }
  }
}
