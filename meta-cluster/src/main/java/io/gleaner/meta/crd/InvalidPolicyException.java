package io.gleaner.meta.crd;

import java.util.List;
import java.util.stream.Collectors;

/** A GleanerPolicy with bad fields; the message lists each as {@code path: problem}. */
public class InvalidPolicyException extends IllegalArgumentException {
  private final List<FieldError> errors;

  public InvalidPolicyException(List<FieldError> errors) {
    super(
        "invalid GleanerPolicy: "
            + errors.stream().map(FieldError::toString).collect(Collectors.joining("; ")));
    this.errors = List.copyOf(errors);
  }

  public List<FieldError> errors() {
    return errors;
  }
}
