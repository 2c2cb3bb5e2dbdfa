package io.gleaner.vk.pod;

import io.gleaner.api.v1.NodeRef;
import java.util.ArrayList;
import java.util.List;

/**
 * The little the controller remembers about one metadata pod beyond the informer stores: where its
 * member pod lives and where the lifecycle stands. Kept small on purpose (a few references and
 * longs; cluster and node names are interned) so that tens of thousands of pods cost little heap.
 * Mutated only under the pod's stripe lock.
 */
final class TrackedPod {
  enum State {
    /** Seen, not placed (validation refused, held, no fit, or waiting to retry). */
    NEW,
    /**
     * Broker reservation held for {@link #cluster}/{@link #node}; member pod not yet known to
     * exist.
     */
    PLACED,
    /** Member pod created or adopted. */
    CREATED,
    /** Member pod is being removed so the pod can be placed elsewhere. */
    REPLACING,
    /**
     * Metadata pod failed by Gleaner (reclaimed, unreachable too long, no member fit); only cleanup
     * remains.
     */
    ABANDONED
  }

  State state = State.NEW;
  String cluster;
  String node;

  /** When the virtual-kubelet first saw the pod bound (clock millis). */
  final long firstSeenMs;

  long createdMs;

  /** The placement's SourceKind number. */
  int sourceOrdinal;

  boolean confirmed;
  boolean seenInMember;
  boolean deleteRequested;
  boolean released;

  /** Since when no member node has had room for the pod (clock millis; 0 = not waiting). */
  long waitingSinceMs;

  /**
   * When a member last gave the pod back (clock millis; 0 = never): a gang pod's wait starts again
   * then ({@link io.gleaner.vk.translate.GangDeadline}). Not kept across restarts.
   */
  long replacedAtMs;

  /**
   * Since when the member cache no longer holds the pod's member pod while its delete notice has
   * not come (clock millis; 0 = not so).
   */
  long goneUnnoticedSinceMs;

  /** Since when the member cluster has not answered (0 = reachable). */
  long unreachableSinceMs;

  /**
   * Nodes the pod must not go to again (it pended there), and members that refused it as a whole (a
   * {@link NodeRef} without a node: a member's ResourceQuota); usually null.
   */
  List<NodeRef> excluded;

  /** Why a member last refused the pod (its quota), for the pod's status; usually null. */
  String refusal;

  TrackedPod(long firstSeenMs) {
    this.firstSeenMs = firstSeenMs;
  }

  void placeOn(String cluster, String node) {
    this.cluster = cluster == null ? null : cluster.intern();
    this.node = node == null ? null : node.intern();
  }

  void exclude(String cluster, String node) {
    if (excluded == null) {
      excluded = new ArrayList<>(2);
    }
    excluded.add(NodeRef.newBuilder().setCluster(cluster).setNode(node).build());
  }

  /** Excludes every node of {@code cluster} (the broker reads an empty node so). */
  void excludeMember(String cluster) {
    exclude(cluster, "");
  }

  /**
   * Forgets the members excluded as a whole: their quota may have room again by the next try (the
   * broker checks the quotas it knows before it reserves).
   */
  void forgetExcludedMembers() {
    if (excluded != null) {
      excluded.removeIf(r -> r.getNode().isEmpty());
      if (excluded.isEmpty()) {
        excluded = null;
      }
    }
  }
}
