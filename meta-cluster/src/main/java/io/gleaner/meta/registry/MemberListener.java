package io.gleaner.meta.registry;

/**
 * Callbacks of {@link MemberRegistry}. All run on the registry's single worker thread, in order,
 * and must not block (hand long work to your own executor; the one exception is a bounded clean-up
 * in {@link #memberRemoved(MemberHandle, Removal)}); an exception is logged and ignored.
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

  /**
   * {@link #memberRemoved(MemberHandle)}, told why; the registry calls this one, and by default it
   * calls that. A listener that must clean up in the member when it leaves the installation ({@link
   * Removal#DELETED}) may do it here through the handle, which stays open until every listener has
   * returned: the one case where a listener may hold the worker, and only for a bounded time.
   */
  default void memberRemoved(MemberHandle member, Removal why) {
    memberRemoved(member);
  }

  /** Why a member's handle goes. */
  enum Removal {
    /** Its MemberCluster was deleted: the member left the installation. */
    DELETED,
    /** Its MemberCluster was disabled ({@code spec.enabled: false}); it may be enabled again. */
    DISABLED,
    /** Its spec became invalid. */
    INVALID,
    /** Its kubeconfig changed (a new handle follows) or can no longer be read or used. */
    CONNECTION,
    /** The registry stopped (the service stops or loses its term). */
    STOPPED
  }

  /** {@link MemberHandle#isHealthy()} flipped; {@code health} is the snapshot that decided it. */
  default void healthChanged(MemberHandle member, MemberHealth health) {}
}
