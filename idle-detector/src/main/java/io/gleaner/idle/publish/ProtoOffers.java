package io.gleaner.idle.publish;

import io.gleaner.api.v1.NodeOffer;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.api.v1.Taint;
import io.gleaner.idle.offer.Offer;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.kube.KubeTaint;
import java.time.Instant;

/** Converts detector offers to the {@code gleaner.v1} wire form. */
public final class ProtoOffers {
  private ProtoOffers() {}

  public static NodeOffer toProto(Offer o) {
    NodeOffer.Builder b =
        NodeOffer.newBuilder()
            .setCluster(o.cluster())
            .setNode(o.node())
            .setSource(kind(o.source()))
            .putAllUsable(o.usable().toStrings())
            .putAllLabels(o.labels())
            .setReclaimRisk(o.reclaimRisk())
            .setObservedAtMs(o.observedAt().toEpochMilli())
            .setZone(o.zone())
            .putAllAllocatable(o.allocatable().toStrings())
            .setRoomUntilMs(o.roomUntil().map(Instant::toEpochMilli).orElse(0L))
            .setDraining(o.draining());
    for (KubeTaint t : o.taints()) {
      b.addTaints(
          Taint.newBuilder().setKey(t.key()).setValue(t.value()).setEffect(t.effect().name()));
    }
    return b.build();
  }

  public static SourceKind kind(CapacitySource s) {
    return switch (s) {
      case IDLE -> SourceKind.IDLE;
      case VOLCANO -> SourceKind.VOLCANO;
      case COLOCATION -> SourceKind.COLOCATION;
      case ELASTIC -> SourceKind.ELASTIC;
    };
  }
}
