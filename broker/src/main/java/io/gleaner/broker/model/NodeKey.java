package io.gleaner.broker.model;

import java.util.Objects;

/** A member node, identified by its cluster and node name. */
public record NodeKey(String cluster, String node) implements Comparable<NodeKey> {
  public NodeKey {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(node, "node");
  }

  @Override
  public int compareTo(NodeKey o) {
    int c = cluster.compareTo(o.cluster);
    return c != 0 ? c : node.compareTo(o.node);
  }

  @Override
  public String toString() {
    return cluster + "/" + node;
  }
}
