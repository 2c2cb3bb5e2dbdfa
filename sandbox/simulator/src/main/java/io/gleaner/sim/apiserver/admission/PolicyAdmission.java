package io.gleaner.sim.apiserver.admission;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ValidatingAdmissionPolicy admission step of one API server: every binding whose {@code
 * validationActions} include {@code Deny} applies its policy to each request; the first denial (by
 * binding name) refuses the request. Policies are compiled once per resourceVersion. Bindings with
 * {@code matchResources} or {@code paramRef} are not enforced here (logged once): the sandbox's
 * charts use neither.
 */
public final class PolicyAdmission {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyAdmission.class);

  private record Compiled(String resourceVersion, ValidatingPolicy policy) {}

  private final Map<String, Compiled> compiled = new ConcurrentHashMap<>();
  private final Map<String, Boolean> warned = new ConcurrentHashMap<>();

  /**
   * The denial of {@code request} by the stored {@code policies} through {@code bindings} (both as
   * JSON objects), or empty when every bound policy allows it or none selects it.
   */
  public Optional<Denial> check(
      List<? extends JsonNode> policies,
      List<? extends JsonNode> bindings,
      AdmissionRequest request) {
    if (bindings.isEmpty()) {
      return Optional.empty();
    }
    Map<String, JsonNode> byName = new java.util.HashMap<>();
    policies.forEach(p -> byName.put(p.path("metadata").path("name").asText(), p));
    List<? extends JsonNode> sorted =
        bindings.stream()
            .sorted(Comparator.comparing(b -> b.path("metadata").path("name").asText()))
            .toList();
    for (JsonNode binding : sorted) {
      String bindingName = binding.path("metadata").path("name").asText();
      JsonNode spec = binding.path("spec");
      if (!contains(spec.path("validationActions"), "Deny")) {
        continue;
      }
      if (spec.path("matchResources").size() > 0 || spec.hasNonNull("paramRef")) {
        if (warned.putIfAbsent(bindingName, true) == null) {
          LOG.warn(
              "ValidatingAdmissionPolicyBinding {}: matchResources and paramRef are not"
                  + " supported by the simulator; not enforced",
              bindingName);
        }
        continue;
      }
      JsonNode policy = byName.get(spec.path("policyName").asText());
      if (policy == null) {
        continue;
      }
      Optional<Denial> d = policy(policy).evaluate(request, bindingName).denial();
      if (d.isPresent()) {
        return d;
      }
    }
    return Optional.empty();
  }

  private ValidatingPolicy policy(JsonNode json) {
    String name = json.path("metadata").path("name").asText();
    String rv = json.path("metadata").path("resourceVersion").asText();
    Compiled c = compiled.get(name);
    if (c == null || !c.resourceVersion().equals(rv)) {
      // stored policies compiled when they were written (AdmissionPolicyRules)
      c = new Compiled(rv, ValidatingPolicy.compile(json));
      compiled.put(name, c);
    }
    return c.policy();
  }

  private static boolean contains(JsonNode list, String value) {
    for (JsonNode v : list) {
      if (value.equals(v.asText())) {
        return true;
      }
    }
    return false;
  }
}
