package io.gleaner.meta.service;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * A named liveness or readiness check, served by {@link AdminServer} on {@code /healthz} or {@code
 * /readyz}.
 *
 * <p>{@link #check()} is called on a worker thread for every probe: it must be cheap (read state
 * the component already keeps; do no remote call), must not block, and should not throw (a thrown
 * exception counts as DOWN with the exception's message).
 */
public interface HealthCheck {

  String name();

  Health check();

  /** A check from a name and a supplier. */
  static HealthCheck of(String name, Supplier<Health> check) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(check, "check");
    return new HealthCheck() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Health check() {
        return check.get();
      }
    };
  }

  /** UP while {@code component} is RUNNING; the detail names its state otherwise. */
  static HealthCheck running(Lifecycle component) {
    return of(
        component.name(),
        () ->
            component.isRunning()
                ? Health.up("running")
                : Health.down(component.name() + " is " + component.state()));
  }
}
