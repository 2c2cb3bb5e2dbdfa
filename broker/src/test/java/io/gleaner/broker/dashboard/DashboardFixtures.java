package io.gleaner.broker.dashboard;

import io.gleaner.api.v1.Capacity;
import io.gleaner.api.v1.ClusterCapacity;
import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.api.v1.ReclaimVictim;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.api.v1.WorkloadClass;
import java.util.Map;

/** A small, fixed federation the dashboard tests render. */
final class DashboardFixtures {
  private DashboardFixtures() {}

  static Capacity capacity() {
    return Capacity.newBuilder()
        .addClusters(cluster("online-1", SourceKind.IDLE, true, 4, "32", "20", "12", "96Gi"))
        .addClusters(cluster("train-1", SourceKind.VOLCANO, true, 2, "10", "6", "4", "20Gi"))
        .addClusters(cluster("coloc-1", SourceKind.COLOCATION, false, 3, "18", "18", "0", "40Gi"))
        .putAllAdvertised(Map.of("cpu", "54", "memory", "140Gi", "nvidia.com/gpu", "6"))
        .putAllAdvertisedNearLine(Map.of("cpu", "54"))
        .putAllAdvertisedOffline(Map.of("cpu", "43200m"))
        .putAllOffered(Map.of("cpu", "60"))
        .putAllReserved(Map.of("cpu", "2500m"))
        .putAllPlaced(Map.of("cpu", "16"))
        .putAllLargestShape(Map.of("cpu", "7500m", "memory", "30Gi", "nvidia.com/gpu", "2"))
        .setNodes(9)
        .putPlacementsByClass("offline", 7)
        .putPlacementsByClass("near-line", 3)
        .build();
  }

  static ReclaimEvent reclaim() {
    return ReclaimEvent.newBuilder()
        .setId("r-1")
        .setCluster("online-1")
        .setNode("online-1-node-3")
        .setSource(SourceKind.IDLE)
        .setReason("Unschedulable")
        .addOnlinePods("shop/frontend-7")
        .addVictims(
            ReclaimVictim.newBuilder()
                .setNamespace("batch")
                .setName("gl-abc")
                .setWorkloadClass(WorkloadClass.OFFLINE))
        .setTriggeredAtMs(1_700_000_000_000L)
        .setEvictedAtMs(1_700_000_000_140L)
        .build();
  }

  private static ClusterCapacity cluster(
      String name,
      SourceKind source,
      boolean healthy,
      int nodes,
      String offered,
      String free,
      String placed,
      String freeMem) {
    return ClusterCapacity.newBuilder()
        .setCluster(name)
        .setSource(source)
        .setHealthy(healthy)
        .setNodes(nodes)
        .putOffered("cpu", offered)
        .putFree("cpu", free)
        .putFree("memory", freeMem)
        .putPlaced("cpu", placed)
        .build();
  }
}
