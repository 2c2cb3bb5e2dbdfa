package io.gleaner.sim.apiserver.admission;

import java.util.Map;

/**
 * A request a ValidatingAdmissionPolicy refused, worded as kube-apiserver words it: {@code
 * <resource> "<name>" is forbidden: ValidatingAdmissionPolicy '<policy>' with binding '<binding>'
 * denied request: <message>}, with the validation's reason (default {@code Invalid}) and its HTTP
 * code.
 */
public record Denial(String policy, String binding, String message, String reason) {
  private static final Map<String, Integer> CODES =
      Map.of("Unauthorized", 401, "Forbidden", 403, "Invalid", 422, "RequestEntityTooLarge", 413);

  public Denial {
    reason = reason == null || reason.isEmpty() ? "Invalid" : reason;
  }

  /** The HTTP status code of {@link #reason()}. */
  public int code() {
    return CODES.getOrDefault(reason, 422);
  }

  /** The status cause's message: the policy, the binding and why. */
  public String cause() {
    return "ValidatingAdmissionPolicy '"
        + policy
        + "' with binding '"
        + binding
        + "' denied request: "
        + message;
  }

  /** The status message for a request on {@code qualifiedResource} named {@code name}. */
  public String statusMessage(String qualifiedResource, String name) {
    return qualifiedResource + " \"" + name + "\" is forbidden: " + cause();
  }
}
