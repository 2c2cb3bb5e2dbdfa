package io.gleaner.idle;

import java.util.Objects;

/** A member node: its cluster and name. */
public record NodeRef(String cluster, String node) {
  public NodeRef {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(node, "node");
  }

  @Override
  public String toString() {
    return cluster + "/" + node;
  }
}
