package io.gleaner.idle.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.api.v1.NodeOffer;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.idle.offer.MemberNodeInfo;
import io.gleaner.idle.offer.Offer;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProtoOffersTest {
  @Test
  void anOfferCarriesTheNodesWholeAllocatableSoTheBrokerCanTellNeverFromNotNow() {
    MemberNodeInfo node =
        MemberNodeInfo.of("n1", Resources.of("cpu", "16", "memory", "64Gi", "nvidia.com/gpu", "8"));
    Offer o =
        Offer.of(
            "online-1",
            node,
            CapacitySource.IDLE,
            Resources.of("cpu", "3"),
            0.2,
            Instant.ofEpochMilli(1000));
    NodeOffer wire = ProtoOffers.toProto(o);
    assertThat(wire.getSource()).isEqualTo(SourceKind.IDLE);
    assertThat(wire.getUsableMap()).containsEntry("cpu", "3");
    assertThat(wire.getAllocatableMap())
        .containsEntry("cpu", "16")
        .containsEntry("nvidia.com/gpu", "8")
        .containsKey("memory");
  }

  @Test
  void aChangedAllocatableIsNewContent() {
    Offer a =
        Offer.of(
            "c",
            MemberNodeInfo.of("n1", Resources.of("cpu", "16")),
            CapacitySource.IDLE,
            Resources.of("cpu", "3"),
            0,
            Instant.EPOCH);
    Offer b =
        Offer.of(
            "c",
            MemberNodeInfo.of("n1", Resources.of("cpu", "32")),
            CapacitySource.IDLE,
            Resources.of("cpu", "3"),
            0,
            Instant.EPOCH);
    assertThat(a.sameContent(b)).isFalse();
  }

  @Test
  void anOfferSaysUntilWhenItsRoomIsForecastToLastAndZeroWhenNotForecast() {
    Offer o =
        Offer.of(
            "c",
            MemberNodeInfo.of("n1", Resources.of("cpu", "16")),
            CapacitySource.IDLE,
            Resources.of("cpu", "3"),
            0,
            Instant.EPOCH);
    assertThat(ProtoOffers.toProto(o).getRoomUntilMs()).isZero();
    Offer until = o.withRoomUntil(Optional.of(Instant.ofEpochMilli(7_200_000)));
    assertThat(ProtoOffers.toProto(until).getRoomUntilMs()).isEqualTo(7_200_000);
    assertThat(ProtoOffers.toProto(until).getDraining()).isFalse();
    Offer draining = o.drainingUntil(Instant.ofEpochMilli(7_200_000));
    assertThat(ProtoOffers.toProto(draining).getDraining()).isTrue();
    assertThat(ProtoOffers.toProto(draining).getRoomUntilMs()).isEqualTo(7_200_000);
    assertThat(draining.sameContent(until)).as("draining is news to the broker").isFalse();
    assertThat(until.sameContent(o)).as("a new end of the room is news to the broker").isFalse();
  }
}
