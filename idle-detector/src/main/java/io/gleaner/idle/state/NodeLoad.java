package io.gleaner.idle.state;

import io.gleaner.meta.resources.Resources;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * What the idle check needs to know about one node at one instant.
 *
 * @param ready the node's Ready condition is True
 * @param unschedulable the node is cordoned
 * @param excluded the node carries {@code gleaner.io/exclude=true}
 * @param allocatable the node's allocatable resources
 * @param onlineRequests summed effective requests of the node's online pods: not Gleaner-managed,
 *     not DaemonSet-owned, not terminated
 * @param onlineCpuUsageMillis measured CPU usage of everything but Gleaner's pods, when fresh
 *     metrics exist
 */
public record NodeLoad(
    boolean ready,
    boolean unschedulable,
    boolean excluded,
    Resources allocatable,
    Resources onlineRequests,
    OptionalLong onlineCpuUsageMillis) {

  public NodeLoad {
    Objects.requireNonNull(allocatable, "allocatable");
    Objects.requireNonNull(onlineRequests, "onlineRequests");
    Objects.requireNonNull(onlineCpuUsageMillis, "onlineCpuUsageMillis");
  }
}
