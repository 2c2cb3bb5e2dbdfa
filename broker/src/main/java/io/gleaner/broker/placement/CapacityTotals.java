package io.gleaner.broker.placement;

import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.resources.Resources;

/**
 * One (cluster, source) row of the capacity report, over its active nodes: offered (before the
 * reserve margin), reserved (not yet confirmed), placed (confirmed) and free. GPU in whole devices.
 */
public record CapacityTotals(
    String cluster,
    CapacitySource source,
    boolean healthy,
    int nodes,
    Resources offered,
    Resources reserved,
    Resources placed,
    Resources free) {}
