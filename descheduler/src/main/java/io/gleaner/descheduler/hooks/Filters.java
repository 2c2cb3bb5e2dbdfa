package io.gleaner.descheduler.hooks;

import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.api.v1.ReclaimFilter;

/** Matching of ReclaimEvents against a ReclaimFilter: empty lists match everything. */
public final class Filters {
  private Filters() {}

  public static boolean matches(ReclaimFilter f, ReclaimEvent e) {
    return (f.getClustersCount() == 0 || f.getClustersList().contains(e.getCluster()))
        && (f.getSourcesCount() == 0 || f.getSourcesList().contains(e.getSource()));
  }
}
