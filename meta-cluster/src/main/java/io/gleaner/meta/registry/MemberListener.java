package io.gleaner.meta.registry;

/**
 * Callbacks of {@link MemberRegistry}. All run on the registry's single worker thread, in order,
 * and must not block (hand long work to your own executor); an exception is logged and ignored.
 */
public interface MemberListener {
  /**
   * A member became usable: enabled, valid, and its kubeconfig Secret read. Also called for every
   * existing member when the listener is added. Register the member's informers here, through
   * {@link MemberHandle#informers()}.
   */
  default void memberAdded(MemberHandle member) {}

  /**
   * The member's spec changed (roles, region, zone), or it started leaving ({@link
   * MemberHandle#isLeaving()}), but not its connection; same handle.
   */
  default void memberUpdated(MemberHandle member) {}

  /**
   * The member was deleted, disabled, became invalid, or its kubeconfig changed (then {@link
   * #memberAdded} follows with a new handle). Called before the handle closes; its informers stop
   * and its client closes right after all listeners return.
   */
  default void memberRemoved(MemberHandle member) {}

  /** {@link MemberHandle#isHealthy()} flipped; {@code health} is the snapshot that decided it. */
  default void healthChanged(MemberHandle member, MemberHealth health) {}
}
