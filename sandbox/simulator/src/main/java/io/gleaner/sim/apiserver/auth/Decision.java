package io.gleaner.sim.apiserver.auth;

/**
 * An authorization answer: allowed or not, and the reason the authorizer gives (for RBAC: which
 * binding allowed it, or which referenced roles were missing).
 */
public record Decision(boolean allowed, String reason) {
  public static Decision allow(String reason) {
    return new Decision(true, reason);
  }

  public static Decision deny(String reason) {
    return new Decision(false, reason);
  }
}
