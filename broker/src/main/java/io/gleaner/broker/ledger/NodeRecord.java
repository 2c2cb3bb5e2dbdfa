package io.gleaner.broker.ledger;

import com.google.protobuf.InvalidProtocolBufferException;
import io.gleaner.api.v1.LedgerNodeRecord;
import io.gleaner.broker.model.NodeOffer;
import io.gleaner.broker.model.Placement;
import io.gleaner.broker.model.ProtoCodec;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The durable ledger state of one member node: its current offer (null while withdrawn), the
 * cool-down before a new offer is accepted, when the reclaim that set it was withdrawn, and the
 * pods reserved or placed on it, by pod UID. Immutable.
 */
public record NodeRecord(
    NodeOffer offer,
    long cooldownUntilMs,
    String withdrawReason,
    Map<String, Placement> placements,
    long reclaimedAtMs) {

  public static final NodeRecord EMPTY = new NodeRecord(null, 0, "", Map.of(), 0);

  public NodeRecord {
    withdrawReason = withdrawReason == null ? "" : withdrawReason;
    placements = Collections.unmodifiableMap(new TreeMap<>(placements));
  }

  public NodeRecord withOffer(NodeOffer o) {
    return new NodeRecord(o, cooldownUntilMs, "", placements, reclaimedAtMs);
  }

  /**
   * Withdrawn at {@code nowMs}; a withdrawal that extends the cool-down is a reclaim at {@code
   * nowMs}.
   */
  public NodeRecord withdrawn(String reason, long cooldownUntil, long nowMs) {
    boolean reclaim = cooldownUntil > nowMs && cooldownUntil > cooldownUntilMs;
    return new NodeRecord(
        null,
        Math.max(cooldownUntilMs, cooldownUntil),
        reason,
        placements,
        reclaim ? nowMs : reclaimedAtMs);
  }

  public NodeRecord with(Placement p) {
    Map<String, Placement> m = new TreeMap<>(placements);
    m.put(p.podUid(), p);
    return new NodeRecord(offer, cooldownUntilMs, withdrawReason, m, reclaimedAtMs);
  }

  public NodeRecord without(String podUid) {
    Map<String, Placement> m = new TreeMap<>(placements);
    m.remove(podUid);
    return new NodeRecord(offer, cooldownUntilMs, withdrawReason, m, reclaimedAtMs);
  }

  public byte[] toBytes() {
    LedgerNodeRecord.Builder b =
        LedgerNodeRecord.newBuilder()
            .setCooldownUntilMs(cooldownUntilMs)
            .setWithdrawReason(withdrawReason)
            .setReclaimedAtMs(reclaimedAtMs);
    if (offer != null) {
      b.setOffer(ProtoCodec.offer(offer));
    }
    placements.values().forEach(p -> b.addPlacements(ProtoCodec.placement(p)));
    return b.build().toByteArray();
  }

  /** Decodes a stored record; a corrupt one fails naming where it came from. */
  public static NodeRecord fromBytes(byte[] bytes, String where) {
    try {
      LedgerNodeRecord r = LedgerNodeRecord.parseFrom(bytes);
      Map<String, Placement> m = new TreeMap<>();
      r.getPlacementsList().forEach(p -> m.put(p.getPodUid(), ProtoCodec.placement(p)));
      return new NodeRecord(
          r.hasOffer() ? ProtoCodec.offer(r.getOffer()) : null,
          r.getCooldownUntilMs(),
          r.getWithdrawReason(),
          m,
          r.getReclaimedAtMs());
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw new IllegalStateException(
          "corrupt ledger record at " + where + ": " + e.getMessage(), e);
    }
  }
}
