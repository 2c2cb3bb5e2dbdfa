package io.gleaner.meta.service;

/**
 * A long-running component with one explicit lifecycle: {@code NEW → STARTING → RUNNING → STOPPING
 * → STOPPED}, or {@code FAILED} when starting fails.
 *
 * <p>Contract for every implementation (see {@link AbstractLifecycle}):
 *
 * <ul>
 *   <li>{@link #start()} is called at most once; a second call fails fast with {@link
 *       IllegalStateException};
 *   <li>{@link #start()} returns once the component is RUNNING, or throws {@link
 *       LifecycleException};
 *   <li>{@link #stop()} is idempotent, never throws, and may be called in any state (a NEW
 *       component goes straight to STOPPED; a FAILED one releases what it had acquired).
 * </ul>
 */
public interface Lifecycle {

  /** Lifecycle states; see the type comment for the transitions. */
  enum State {
    NEW,
    STARTING,
    RUNNING,
    STOPPING,
    STOPPED,
    FAILED
  }

  /** Short, stable name for logs and health output, e.g. {@code "leader-election"}. */
  String name();

  /** Starts the component; see the type comment. */
  void start();

  /** Stops the component; see the type comment. */
  void stop();

  State state();

  default boolean isRunning() {
    return state() == State.RUNNING;
  }
}
