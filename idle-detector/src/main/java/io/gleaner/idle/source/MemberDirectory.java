package io.gleaner.idle.source;

/**
 * Where the detector learns which members exist: the {@code MemberRegistry} in production ({@link
 * RegistryMemberDirectory}), a fixed list elsewhere ({@link StaticMemberDirectory}).
 */
public interface MemberDirectory {

  /** Callbacks; they must not block. */
  interface Listener {
    /**
     * A member to watch (also called for every member that exists when the listener is attached).
     */
    void added(Member member);

    /** Stop watching {@code cluster} and withdraw its offers. */
    void removed(String cluster);

    /**
     * {@code cluster} left the installation (its MemberCluster was deleted) and its client is still
     * open: withdraw its offers, remove this installation's claims from its nodes, then stop
     * watching it as {@link #removed} does. The one callback that may block its caller, and only
     * for a bounded wait (the member's client closes once it returns). By default {@link #removed}.
     */
    default void deregistered(String cluster) {
      removed(cluster);
    }
  }

  /** Attaches the listener; members already known are reported through it at once. */
  void attach(Listener listener);

  /** Detaches the listener. */
  void detach(Listener listener);
}
