package io.gleaner.meta.registry;

import io.gleaner.meta.crd.FieldError;
import java.util.List;

/** What the registry knows about a member, from which its status conditions are derived. */
public sealed interface MemberObservation {
  /** {@code spec.enabled=false}. */
  record Disabled() implements MemberObservation {}

  /** The MemberCluster failed validation. */
  record Invalid(List<FieldError> errors) implements MemberObservation {}

  /**
   * No client could be built.
   *
   * @param reason a CamelCase condition reason: SecretNotFound, SecretKeyMissing, InvalidKubeconfig
   * @param message names the Secret (namespace/name and key) and what is wrong
   */
  record ConnectFailed(String reason, String message) implements MemberObservation {}

  /** A client exists; {@code health} says how calls are going. */
  record Connected(MemberHealth health) implements MemberObservation {}
}
