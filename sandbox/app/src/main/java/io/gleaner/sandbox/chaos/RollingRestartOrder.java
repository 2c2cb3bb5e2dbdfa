package io.gleaner.sandbox.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The order in which an operator restarts the servers of a ZooKeeper ensemble one at a time: the
 * followers first, in the order given, the leader last, so the ensemble elects a new leader once
 * only, and never among servers that are still to be restarted.
 */
public final class RollingRestartOrder {
  private RollingRestartOrder() {}

  /**
   * The servers (client ports) in restart order.
   *
   * @param servers every server of the ensemble, e.g. in server id order
   * @param leader the server that leads now, if one does; without one the order is {@code servers}
   * @throws IllegalArgumentException when {@code leader} is not one of {@code servers}, or a server
   *     is named twice
   */
  public static List<Integer> of(List<Integer> servers, Optional<Integer> leader) {
    if (servers.stream().distinct().count() != servers.size()) {
      throw new IllegalArgumentException("a server is named twice: " + servers);
    }
    if (leader.isPresent() && !servers.contains(leader.get())) {
      throw new IllegalArgumentException(
          "the leader " + leader.get() + " is not a server of " + servers);
    }
    List<Integer> order = new ArrayList<>();
    for (int s : servers) {
      if (leader.isEmpty() || s != leader.get()) {
        order.add(s);
      }
    }
    leader.ifPresent(order::add);
    return List.copyOf(order);
  }
}
