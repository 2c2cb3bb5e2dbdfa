package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleaner.sim.apiserver.admission.AdmissionRequest;
import io.gleaner.sim.apiserver.admission.Denial;
import io.gleaner.sim.apiserver.admission.PolicyAdmission;
import io.gleaner.sim.apiserver.auth.UserInfo;
import java.util.List;
import java.util.Optional;

/**
 * Validating admission of the requests of API clients, after authentication and authorization and
 * before storage, as kube-apiserver runs it: the stored ValidatingAdmissionPolicies and their
 * bindings ({@link PolicyAdmission}). A denial is answered as kube-apiserver answers it: {@code
 * <resource> "<name>" is forbidden: ValidatingAdmissionPolicy '<p>' with binding '<b>' denied
 * request: <message>}, with the validation's reason and code (403 Forbidden, 422 Invalid) and the
 * message as the status's one cause.
 */
final class Admission {
  private final ObjectStore store;
  private final PolicyAdmission policies = new PolicyAdmission();

  Admission(ObjectStore store) {
    this.store = store;
  }

  /** The admission of a write by {@code user} to {@code subresource} ("" for the resource). */
  ObjectStore.Admit of(UserInfo user, String subresource) {
    return (operation, type, object, oldObject) -> {
      ObjectNode named = object != null ? object : oldObject;
      String ns = type.namespaced() ? named.path("metadata").path("namespace").asText() : "";
      check(
          user,
          operation,
          type,
          subresource,
          ns,
          named.path("metadata").path("name").asText(),
          object,
          oldObject);
    };
  }

  /**
   * Admits a request that stores nothing of its own kind ({@code pods/eviction}, {@code
   * pods/exec}): its {@code object} is the request's body (an Eviction, PodExecOptions).
   */
  void check(
      UserInfo user,
      String operation,
      ResourceType type,
      String subresource,
      String namespace,
      String name,
      JsonNode object,
      JsonNode oldObject) {
    List<ObjectNode> bindings = store.list(ResourceTypes.VALIDATING_ADMISSION_POLICY_BINDINGS);
    if (bindings.isEmpty()) {
      return;
    }
    String ns = namespace == null ? "" : namespace;
    AdmissionRequest r =
        new AdmissionRequest(
            operation,
            user.name(),
            user.groups(),
            type.group(),
            type.version(),
            type.plural(),
            subresource,
            ns,
            name,
            object,
            oldObject,
            ns.isEmpty() ? null : store.get(ResourceTypes.NAMESPACES, null, ns));
    Optional<Denial> d =
        policies.check(store.list(ResourceTypes.VALIDATING_ADMISSION_POLICIES), bindings, r);
    if (d.isPresent()) {
      Denial denial = d.get();
      throw new ApiException(
          denial.code(),
          denial.reason(),
          denial.statusMessage(type.qualifiedPlural(), name),
          type.plural(),
          name,
          List.of(new ApiException.Cause(null, denial.cause(), null)));
    }
  }
}
