package io.gleaner.broker.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.gleaner.api.v1.Capacity;
import io.gleaner.api.v1.CapacityRequest;
import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.api.v1.ReclaimFilter;
import io.gleaner.broker.ledger.InMemoryLedgerStore;
import io.gleaner.broker.ledger.Ledger;
import io.gleaner.broker.model.NodeOffer;
import io.gleaner.broker.placement.PlacementPolicy;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.resources.Resources;
import io.gleaner.meta.time.FakeClock;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A subscriber that stops reading a watch stream costs the broker bounded memory: what it has not
 * read waits in a bounded outbox instead of gRPC's unbounded send buffer (every onNext is
 * buffered).
 */
class SlowSubscriberTest {
  /** A server stream whose readiness the test sets; records what the service hands to gRPC. */
  static final class FakeCall<T> extends ServerCallStreamObserver<T> {
    final List<T> sent = new CopyOnWriteArrayList<>();
    volatile boolean ready = true;
    volatile Runnable onReady = () -> {};

    void becomeReady() {
      ready = true;
      onReady.run();
    }

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public void setOnCancelHandler(Runnable onCancelHandler) {}

    @Override
    public void setCompression(String compression) {}

    @Override
    public boolean isReady() {
      return ready;
    }

    @Override
    public void setOnReadyHandler(Runnable onReadyHandler) {
      onReady = onReadyHandler;
    }

    @Override
    public void request(int count) {}

    @Override
    public void setMessageCompression(boolean enable) {}

    @Override
    public void disableAutoInboundFlowControl() {}

    @Override
    public void onNext(T value) {
      sent.add(value);
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }

  private static ReclaimEvent event(int i) {
    return ReclaimEvent.newBuilder().setId("e" + i).setCluster("a").setNode("n" + i).build();
  }

  @Test
  void reclaimEventsANonReadingSubscriberHasNotTakenWaitBoundedNewestKept() {
    ReclaimLog log = new ReclaimLog(10);
    BrokerGrpcService service = new BrokerGrpcService(null, null, log, null);
    FakeCall<ReclaimEvent> call = new FakeCall<>();
    service.watchReclaims(ReclaimFilter.getDefaultInstance(), call);
    call.onReady.run();
    call.ready = false;
    int n = 5_000;
    for (int i = 0; i < n; i++) {
      log.publish(event(i));
    }
    assertThat(call.sent).as("nothing handed to gRPC while the subscriber does not read").isEmpty();
    call.becomeReady();
    assertThat(call.sent).hasSize(BrokerGrpcService.WATCH_BUFFER);
    assertThat(call.sent.get(call.sent.size() - 1).getId()).isEqualTo("e" + (n - 1));
    log.publish(event(n));
    assertThat(call.sent.get(call.sent.size() - 1).getId()).isEqualTo("e" + n);
  }

  @Test
  void capacityANonReadingSubscriberHasNotTakenIsOnlyTheLatest() throws Exception {
    InMemoryLedgerStore store = new InMemoryLedgerStore();
    try {
      Ledger ledger =
          new Ledger(
              store,
              PlacementPolicy.defaults().withoutMargins(),
              new FakeClock(),
              Duration.ofMinutes(2),
              null);
      CapacityPublisher publisher = new CapacityPublisher(ledger, Duration.ZERO, s -> {});
      BrokerGrpcService service =
          new BrokerGrpcService(ledger, publisher, new ReclaimLog(10), null);
      FakeCall<Capacity> call = new FakeCall<>();
      service.watchCapacity(CapacityRequest.getDefaultInstance(), call);
      call.onReady.run();
      await().atMost(Duration.ofSeconds(10)).until(() -> !call.sent.isEmpty());
      call.ready = false;
      int before = call.sent.size();
      for (int i = 1; i <= 200; i++) {
        ledger.offer(
            NodeOffer.of("a", "n" + i, CapacitySource.IDLE, Resources.of("cpu", "1")), "src");
      }
      // every change is published; none reaches gRPC while the subscriber does not read
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> publisher.current() != null && publisher.current().getNodes() == 200);
      assertThat(call.sent).hasSize(before);
      call.becomeReady();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> call.sent.get(call.sent.size() - 1).getNodes() == 200);
      // the one snapshot kept while not reading, and at most one published as it became ready
      assertThat(call.sent.size() - before).isBetween(1, 2);
      publisher.close();
    } finally {
      store.close();
    }
  }
}
