package io.gleaner.idle;

import io.gleaner.idle.offer.Offer;
import io.gleaner.idle.publish.OfferSink;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Records what the detector publishes; the latest offer per node is the broker's view. */
final class RecordingSink implements OfferSink {
  final Map<NodeRef, Offer> live = new ConcurrentHashMap<>();
  final List<String> log = new ArrayList<>();
  final Map<String, Boolean> reachable = new ConcurrentHashMap<>();

  @Override
  public synchronized void offer(Offer offer, long changeNanos) {
    live.put(new NodeRef(offer.cluster(), offer.node()), offer);
    log.add(
        "offer "
            + offer.cluster()
            + "/"
            + offer.node()
            + " "
            + offer.source()
            + " "
            + offer.usable());
  }

  @Override
  public synchronized void withdraw(String cluster, String node, String reason, long changeNanos) {
    live.remove(new NodeRef(cluster, node));
    log.add("withdraw " + cluster + "/" + node + " " + reason);
  }

  @Override
  public synchronized void member(String cluster, boolean ok, String message) {
    reachable.put(cluster, ok);
    if (!ok) {
      live.keySet().removeIf(k -> k.cluster().equals(cluster));
    }
    log.add("member " + cluster + " " + ok);
  }

  @Override
  public synchronized void clusterRemoved(String cluster) {
    live.keySet().removeIf(k -> k.cluster().equals(cluster));
    log.add("removed " + cluster);
  }

  Optional<Offer> offer(String cluster, String node) {
    return Optional.ofNullable(live.get(new NodeRef(cluster, node)));
  }
}
