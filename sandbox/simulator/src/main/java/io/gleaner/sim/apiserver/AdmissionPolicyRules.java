package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleaner.sim.apiserver.admission.PolicyException;
import io.gleaner.sim.apiserver.admission.ValidatingPolicy;

/**
 * ValidatingAdmissionPolicies: like kube-apiserver, a policy whose CEL does not compile is refused
 * (422, naming each expression) instead of stored; its status is ignored on create.
 */
final class AdmissionPolicyRules implements ResourceRules {
  @Override
  public void prepareCreate(ObjectStore store, ObjectNode obj) {
    obj.remove("status");
    compile(obj);
  }

  @Override
  public void validateUpdate(ObjectNode current, ObjectNode next) {
    compile(next);
  }

  private static void compile(ObjectNode policy) {
    try {
      ValidatingPolicy.compile(policy);
    } catch (PolicyException e) {
      throw ApiException.invalid(
          ResourceTypes.VALIDATING_ADMISSION_POLICIES,
          policy.path("metadata").path("name").asText(),
          "spec",
          String.join(", ", e.problems()));
    }
  }
}
