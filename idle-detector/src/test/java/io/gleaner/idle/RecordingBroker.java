package io.gleaner.idle;

import io.gleaner.api.v1.BrokerGrpc;
import io.gleaner.api.v1.MemberHealth;
import io.gleaner.api.v1.NodeOffer;
import io.gleaner.api.v1.OfferAck;
import io.gleaner.api.v1.OfferReport;
import io.gleaner.api.v1.OfferWithdrawal;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-process broker that applies offer reports as the contract says (full snapshots per node,
 * full_resync per source_id) and records what it saw.
 */
public final class RecordingBroker extends BrokerGrpc.BrokerImplBase implements AutoCloseable {
  private final String name;
  private final Server server;

  /** Live offers by cluster/node, with the source id that offered them. */
  public final Map<String, NodeOffer> offers = new ConcurrentHashMap<>();

  private final Map<String, String> offeredBy = new ConcurrentHashMap<>();
  public final Map<String, MemberHealth> members = new ConcurrentHashMap<>();
  public final List<OfferWithdrawal> withdrawals = new CopyOnWriteArrayList<>();
  public final AtomicInteger streams = new AtomicInteger();
  public final AtomicInteger resyncs = new AtomicInteger();
  private final List<StreamObserver<OfferAck>> open = new CopyOnWriteArrayList<>();

  public RecordingBroker() throws IOException {
    this("broker-" + System.nanoTime());
  }

  /** Serving in-process under {@code name}: a channel to that name made before reaches it. */
  public RecordingBroker(String name) throws IOException {
    this.name = name;
    server = InProcessServerBuilder.forName(name).directExecutor().addService(this).build().start();
  }

  public ManagedChannel channel() {
    return InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  public Optional<NodeOffer> offer(String cluster, String node) {
    return Optional.ofNullable(offers.get(cluster + "/" + node));
  }

  /** Ends every open offer stream with an error, as a broker restart would. */
  public void breakStreams() {
    for (StreamObserver<OfferAck> o : open) {
      try {
        o.onError(
            io.grpc.Status.UNAVAILABLE.withDescription("broker restarting").asRuntimeException());
      } catch (RuntimeException ignored) {
        // already closed
      }
    }
    open.clear();
  }

  @Override
  public StreamObserver<OfferReport> reportOffers(StreamObserver<OfferAck> answer) {
    streams.incrementAndGet();
    open.add(answer);
    AtomicInteger accepted = new AtomicInteger();
    return new StreamObserver<>() {
      @Override
      public void onNext(OfferReport r) {
        synchronized (RecordingBroker.this) {
          if (r.getFullResync()) {
            resyncs.incrementAndGet();
            Set<String> keep = new HashSet<>();
            r.getOffersList().forEach(o -> keep.add(o.getCluster() + "/" + o.getNode()));
            offeredBy
                .entrySet()
                .removeIf(
                    e -> {
                      boolean drop =
                          e.getValue().equals(r.getSourceId()) && !keep.contains(e.getKey());
                      if (drop) {
                        offers.remove(e.getKey());
                      }
                      return drop;
                    });
          }
          for (NodeOffer o : r.getOffersList()) {
            String k = o.getCluster() + "/" + o.getNode();
            offers.put(k, o);
            offeredBy.put(k, r.getSourceId());
            accepted.incrementAndGet();
          }
          for (OfferWithdrawal w : r.getWithdrawalsList()) {
            String k = w.getCluster() + "/" + w.getNode();
            offers.remove(k);
            offeredBy.remove(k);
            withdrawals.add(w);
          }
          r.getMembersList().forEach(m -> members.put(m.getCluster(), m));
        }
      }

      @Override
      public void onError(Throwable t) {
        open.remove(answer);
      }

      @Override
      public void onCompleted() {
        open.remove(answer);
        answer.onNext(OfferAck.newBuilder().setAccepted(accepted.get()).build());
        answer.onCompleted();
      }
    };
  }

  /** What GetCapacity answers (the near-line pods waiting, for elastic members). */
  public volatile io.gleaner.api.v1.Capacity capacity =
      io.gleaner.api.v1.Capacity.getDefaultInstance();

  public final AtomicInteger capacityCalls = new AtomicInteger();

  @Override
  public void getCapacity(
      io.gleaner.api.v1.CapacityRequest req, StreamObserver<io.gleaner.api.v1.Capacity> response) {
    capacityCalls.incrementAndGet();
    response.onNext(capacity);
    response.onCompleted();
  }

  @Override
  public void close() {
    server.shutdownNow();
  }
}
