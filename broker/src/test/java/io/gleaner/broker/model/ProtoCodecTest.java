package io.gleaner.broker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gleaner.broker.ledger.NodeRecord;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.resources.Resources;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProtoCodecTest {
  @Test
  void anOfferKeepsItsAllocatableThroughTheWireAndTheLedgerRecord() {
    NodeOffer o =
        NodeOffer.of("m1", "n1", CapacitySource.IDLE, Resources.of("cpu", "4"))
            .withAllocatable(Resources.of("cpu", "16", "memory", "64Gi"));
    io.gleaner.api.v1.NodeOffer wire = ProtoCodec.offer(o);
    assertThat(wire.getAllocatableMap()).containsEntry("cpu", "16").containsEntry("memory", "64Gi");
    assertThat(ProtoCodec.offer(wire)).isEqualTo(o);
    NodeRecord r = NodeRecord.EMPTY.withOffer(o);
    assertThat(NodeRecord.fromBytes(r.toBytes(), "test").offer().allocatable())
        .isEqualTo(o.allocatable());
  }

  @Test
  void anOfferWithoutAllocatableReportsNone() {
    NodeOffer o = NodeOffer.of("m1", "n1", CapacitySource.IDLE, Resources.of("cpu", "4"));
    assertThat(ProtoCodec.offer(ProtoCodec.offer(o)).allocatable()).isEqualTo(Resources.ZERO);
  }

  @Test
  void aBadAllocatableIsRejectedNamingTheField() {
    io.gleaner.api.v1.NodeOffer wire =
        io.gleaner.api.v1.NodeOffer.newBuilder()
            .setCluster("m1")
            .setNode("n1")
            .setSource(io.gleaner.api.v1.SourceKind.IDLE)
            .putAllocatable("cpu", "lots")
            .build();
    assertThatThrownBy(() -> ProtoCodec.offer(wire))
        .hasMessageStartingWith("offer m1/n1: allocatable: invalid quantity for cpu");
  }

  @Test
  void aFinalRefusalCarriesItsVerdict() {
    NeverFits.Verdict v =
        NeverFits.check(Resources.of("cpu", "5000"), Map.of("m1/n1", Resources.of("cpu", "16")))
            .orElseThrow();
    NoFit n =
        new NoFit("largest free node offers 4 CPU", List.of("1 nodes: insufficient cpu"), null);
    io.gleaner.api.v1.NoFit wire = ProtoCodec.noFit(n.neverFits(v));
    assertThat(wire.getMessage()).isEqualTo(v.message());
    assertThat(wire.getReasonsList()).containsExactly("1 nodes: insufficient cpu");
    assertThat(wire.getNeverFits().getResource()).isEqualTo("cpu");
    assertThat(wire.getNeverFits().getRequested()).isEqualTo("5000");
    assertThat(wire.getNeverFits().getLargest()).isEqualTo("16");
    assertThat(ProtoCodec.noFit(n).hasNeverFits()).isFalse();
  }

  @Test
  void theForecastRoomAndTheExpectedRunTimeCrossTheWire() {
    NodeOffer o =
        NodeOffer.of("m1", "n1", CapacitySource.IDLE, Resources.of("cpu", "4"))
            .withRoomUntil(7_200_000);
    io.gleaner.api.v1.NodeOffer wire = ProtoCodec.offer(o);
    assertThat(wire.getRoomUntilMs()).isEqualTo(7_200_000);
    assertThat(wire.getDraining()).isFalse();
    NodeOffer draining = o.draining(7_200_000);
    assertThat(ProtoCodec.offer(ProtoCodec.offer(draining))).isEqualTo(draining);
    assertThat(ProtoCodec.offer(draining).getDraining()).isTrue();
    assertThat(NodeRecord.fromBytes(NodeRecord.EMPTY.withOffer(draining).toBytes(), "test").offer())
        .isEqualTo(draining);
    assertThatThrownBy(
            () -> ProtoCodec.offer(wire.toBuilder().setRoomUntilMs(0).setDraining(true).build()))
        .hasMessageContaining("draining offer needs room_until_ms");
    assertThat(ProtoCodec.offer(wire)).isEqualTo(o);
    assertThat(NodeRecord.fromBytes(NodeRecord.EMPTY.withOffer(o).toBytes(), "test").offer())
        .isEqualTo(o);

    io.gleaner.api.v1.PlaceRequest req =
        io.gleaner.api.v1.PlaceRequest.newBuilder()
            .setPodUid("u")
            .setShape(
                io.gleaner.api.v1.PodShape.newBuilder()
                    .putRequests("cpu", "1")
                    .setExpectedRuntimeSeconds(1800))
            .build();
    assertThat(ProtoCodec.podRequest(req).expectedRuntimeMs()).isEqualTo(1_800_000);
    io.gleaner.api.v1.PlaceRequest negative =
        req.toBuilder().setShape(req.getShape().toBuilder().setExpectedRuntimeSeconds(-1)).build();
    assertThatThrownBy(() -> ProtoCodec.podRequest(negative))
        .hasMessageContaining("expected_runtime_seconds must not be negative");
  }

  @Test
  void anExcludeWithoutNodeStandsForTheWholeMemberAndAnEstimateCarriesItsNamespace() {
    io.gleaner.api.v1.PlaceRequest req =
        io.gleaner.api.v1.PlaceRequest.newBuilder()
            .setPodUid("u")
            .setShape(io.gleaner.api.v1.PodShape.newBuilder().putRequests("cpu", "1"))
            .addExclude(io.gleaner.api.v1.NodeRef.newBuilder().setCluster("m1"))
            .addExclude(io.gleaner.api.v1.NodeRef.newBuilder().setCluster("m2").setNode("n2"))
            .build();
    assertThat(ProtoCodec.podRequest(req).exclude())
        .containsExactlyInAnyOrder(new NodeKey("m1", ""), new NodeKey("m2", "n2"));
    io.gleaner.api.v1.PlaceRequest noCluster =
        req.toBuilder().addExclude(io.gleaner.api.v1.NodeRef.newBuilder().setNode("n3")).build();
    assertThatThrownBy(() -> ProtoCodec.podRequest(noCluster))
        .hasMessageContaining("exclude[2].cluster");

    assertThat(
            ProtoCodec.shape(req.getShape(), io.gleaner.api.v1.WorkloadClass.OFFLINE, "ml")
                .namespace())
        .isEqualTo("ml");
  }

  @Test
  void anOfferWhoseQuantitiesWouldOverflowTheLedgerIsRejectedNamingIt() {
    // two nodes offering 5Ei each would overflow the ledger's totals (a long of bytes)
    io.gleaner.api.v1.NodeOffer wire =
        io.gleaner.api.v1.NodeOffer.newBuilder()
            .setCluster("m1")
            .setNode("n1")
            .setSource(io.gleaner.api.v1.SourceKind.IDLE)
            .putUsable("cpu", "4")
            .putUsable("memory", "5Ei")
            .build();
    assertThatThrownBy(() -> ProtoCodec.offer(wire))
        .isInstanceOf(BrokerException.class)
        .hasMessage("offer m1/n1: usable: memory 5Ei is too large (at most 1Pi)");
  }

  @Test
  void aDemandWhoseQuantitiesWouldOverflowIsRejectedNamingIt() {
    io.gleaner.api.v1.PlaceRequest req =
        io.gleaner.api.v1.PlaceRequest.newBuilder()
            .setPodUid("u1")
            .setShape(
                io.gleaner.api.v1.PodShape.newBuilder()
                    .putRequests("cpu", "9223372036854775")
                    .putRequests("memory", "1Gi"))
            .build();
    assertThatThrownBy(() -> ProtoCodec.podRequest(req))
        .isInstanceOf(BrokerException.class)
        .hasMessageStartingWith("shape.requests: cpu 9223372036854775 is too large (at most ");
  }
}
