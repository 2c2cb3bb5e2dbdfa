package io.gleaner.broker.grpc;

import io.gleaner.api.v1.Capacity;
import io.gleaner.api.v1.ClusterCapacity;
import io.gleaner.broker.ledger.Ledger;
import io.gleaner.broker.model.ProtoCodec;
import io.gleaner.broker.placement.CapacityTotals;

/** Builds the {@code Capacity} message from a ledger snapshot. */
public final class CapacityProtos {
  private CapacityProtos() {}

  public static Capacity capacity(Ledger.CapacitySnapshot s) {
    Capacity.Builder b =
        Capacity.newBuilder()
            .putAllAdvertised(s.advertised().toStrings())
            .putAllAdvertisedNearLine(s.advertisedNearLine().toStrings())
            .putAllAdvertisedOffline(s.advertisedOffline().toStrings())
            .putAllOffered(s.offered().toStrings())
            .putAllReserved(s.reserved().toStrings())
            .putAllPlaced(s.placed().toStrings())
            .putAllLargestShape(s.largestShape().toStrings())
            .setNodes(s.nodes())
            .setGeneratedAtMs(s.generatedAtMs())
            .putAllPlacementsByClass(s.placementsByClass())
            .putAllPlacementsBySource(s.placementsBySource());
    for (CapacityTotals t : s.clusters()) {
      b.addClusters(
          ClusterCapacity.newBuilder()
              .setCluster(t.cluster())
              .setSource(ProtoCodec.source(t.source()))
              .setHealthy(t.healthy())
              .setNodes(t.nodes())
              .putAllOffered(t.offered().toStrings())
              .putAllReserved(t.reserved().toStrings())
              .putAllPlaced(t.placed().toStrings())
              .putAllFree(t.free().toStrings()));
    }
    return b.build();
  }
}
