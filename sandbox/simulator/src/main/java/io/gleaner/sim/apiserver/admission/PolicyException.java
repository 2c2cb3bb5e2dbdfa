package io.gleaner.sim.apiserver.admission;

import java.util.List;

/** A ValidatingAdmissionPolicy that cannot be enforced: each problem names the field it is in. */
public final class PolicyException extends RuntimeException {
  private final List<String> problems;

  public PolicyException(String policy, List<String> problems) {
    super("ValidatingAdmissionPolicy '" + policy + "': " + String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
