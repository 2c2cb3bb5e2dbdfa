package io.gleaner.idle.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.gleaner.idle.RecordingBroker;
import io.gleaner.idle.offer.MemberNodeInfo;
import io.gleaner.idle.offer.Offer;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.resources.Resources;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OfferPublisherIT {
  private static final Instant T = Instant.parse("2024-01-01T00:00:00Z");
  private RecordingBroker broker;
  private ManagedChannel channel;
  private ScheduledExecutorService scheduler;
  private OfferPublisher publisher;
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  @BeforeEach
  void setUp() throws Exception {
    broker = new RecordingBroker();
    channel = broker.channel();
    scheduler = Executors.newSingleThreadScheduledExecutor();
    publisher =
        new OfferPublisher(channel, "idle-detector/test", scheduler, Duration.ofMinutes(5), meters);
    publisher.start();
  }

  @AfterEach
  void tearDown() {
    publisher.close();
    scheduler.shutdownNow();
    channel.shutdownNow();
    broker.close();
  }

  private static Offer offer(String cluster, String node, String cpu) {
    MemberNodeInfo n =
        new MemberNodeInfo(
            node,
            "1",
            Map.of("zone", "a", "gleaner.io/x", "y"),
            Map.of(),
            List.of(io.gleaner.meta.kube.KubeTaint.of("dedicated", "batch", "NoSchedule")),
            "zone-a",
            Resources.ZERO,
            Resources.ZERO,
            true,
            false);
    return Offer.of(
        cluster, n, CapacitySource.IDLE, Resources.of("cpu", cpu, "memory", "1Gi"), 0.25, T);
  }

  @Test
  void offersWithdrawalsAndMemberHealthReachTheBroker() {
    publisher.member("c1", true, "");
    publisher.offer(offer("c1", "n1", "2"), System.nanoTime());
    publisher.offer(offer("c1", "n2", "3"), System.nanoTime());
    publisher.offer(offer("c2", "n1", "4"), System.nanoTime());
    await().atMost(Duration.ofSeconds(10)).until(() -> broker.offers.size() == 3);
    var o = broker.offer("c1", "n1").orElseThrow();
    assertThat(o.getUsableMap()).containsEntry("cpu", "2").containsEntry("memory", "1Gi");
    assertThat(o.getSource()).isEqualTo(io.gleaner.api.v1.SourceKind.IDLE);
    assertThat(o.getTaints(0).getKey()).isEqualTo("dedicated");
    assertThat(o.getZone()).isEqualTo("zone-a");
    assertThat(o.getReclaimRisk()).isEqualTo(0.25);
    assertThat(o.getObservedAtMs()).isEqualTo(T.toEpochMilli());
    assertThat(broker.members.get("c1").getReachable()).isTrue();

    publisher.withdraw("c1", "n2", "node not lent", System.nanoTime());
    await().atMost(Duration.ofSeconds(10)).until(() -> broker.offer("c1", "n2").isEmpty());
    assertThat(broker.withdrawals).anyMatch(w -> w.getReason().equals("node not lent"));

    publisher.member("c1", false, "circuit breaker open");
    await().atMost(Duration.ofSeconds(10)).until(() -> broker.offer("c1", "n1").isEmpty());
    assertThat(broker.members.get("c1").getReachable()).isFalse();
    assertThat(broker.members.get("c1").getMessage()).isEqualTo("circuit breaker open");
    assertThat(broker.offer("c2", "n1")).isPresent();

    publisher.clusterRemoved("c2");
    await().atMost(Duration.ofSeconds(10)).until(() -> broker.offers.isEmpty());
    assertThat(meters.get(OfferPublisher.LATENCY_METER).tag("source", "idle").timer().count())
        .isGreaterThanOrEqualTo(3);
  }

  @Test
  void heldOffersAreRefreshedSoTheBrokersTtlNeverExpiresThem() {
    publisher.close();
    publisher =
        new OfferPublisher(channel, "idle-detector/test", scheduler, Duration.ofMinutes(5), meters);
    publisher.start(Duration.ofMillis(200));
    publisher.offer(offer("c1", "n1", "2"), System.nanoTime());
    await().atMost(Duration.ofSeconds(10)).until(() -> broker.offers.size() == 1);
    int resyncs = broker.resyncs.get();
    // Nothing changes on the node, yet the broker keeps hearing of its offer.
    await().atMost(Duration.ofSeconds(10)).until(() -> broker.resyncs.get() >= resyncs + 3);
    assertThat(broker.offer("c1", "n1").orElseThrow().getUsableMap()).containsEntry("cpu", "2");
  }

  @Test
  void aBrokenStreamIsReopenedWithAFullResync() {
    publisher.offer(offer("c1", "n1", "2"), System.nanoTime());
    publisher.offer(offer("c1", "n2", "2"), System.nanoTime());
    await().atMost(Duration.ofSeconds(10)).until(() -> broker.offers.size() == 2);
    int streams = broker.streams.get();

    broker.breakStreams();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !publisher.connected() || broker.streams.get() > streams);
    // Changes while the stream is down (or being reopened) must not be lost.
    publisher.withdraw("c1", "n2", "gone", System.nanoTime());
    publisher.offer(offer("c1", "n3", "5"), System.nanoTime());
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> broker.streams.get() > streams && publisher.connected());
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(broker.offers).containsOnlyKeys("c1/n1", "c1/n3");
              assertThat(broker.offer("c1", "n3").orElseThrow().getUsableMap())
                  .containsEntry("cpu", "5");
            });
    assertThat(broker.resyncs.get()).isGreaterThanOrEqualTo(1);
  }

  /**
   * A leader whose lease ran out (a ZooKeeper stall) has its stream refused by its own fenced
   * channel, synchronously, while the stream is being opened; once the lease is confirmed again the
   * offers must reach the broker. The stream used to be kept, dead, and never reopened: after a
   * stall the virtual node stayed at 0 CPU for good.
   */
  @Test
  void aStreamRefusedWhileItOpensIsOpenedAgainOnceTheReplicaMayAct() {
    publisher.close();
    java.util.concurrent.atomic.AtomicBoolean mayAct =
        new java.util.concurrent.atomic.AtomicBoolean(false);
    publisher =
        new OfferPublisher(
            io.gleaner.api.client.LeaderFencedCalls.fence(channel, mayAct::get, meters),
            "idle-detector/test",
            scheduler,
            Duration.ofMinutes(5),
            meters);
    publisher.start();
    publisher.offer(offer("c1", "n1", "2"), System.nanoTime());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                meters.find(io.gleaner.api.client.LeaderFencedCalls.REFUSED_METER).counter() != null
                    && meters
                            .find(io.gleaner.api.client.LeaderFencedCalls.REFUSED_METER)
                            .counter()
                            .count()
                        >= 2);

    mayAct.set(true);

    await().atMost(Duration.ofSeconds(20)).until(() -> broker.offer("c1", "n1").isPresent());
    assertThat(publisher.connected()).isTrue();
  }

  /**
   * While the broker starts (a fresh install, the sandbox) the stream cannot come up: expected, so
   * logged at INFO. Once a stream has come up, a break is a WARN.
   */
  @Test
  void breaksBeforeTheBrokerFirstAnswersAreInfoAndBreaksAfterAreWarnings() throws Exception {
    ch.qos.logback.classic.Logger logger =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(OfferPublisher.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
        new ch.qos.logback.core.read.ListAppender<>();
    logs.start();
    logger.addAppender(logs);
    String name = "late-broker-" + System.nanoTime();
    ManagedChannel late =
        io.grpc.inprocess.InProcessChannelBuilder.forName(name).directExecutor().build();
    OfferPublisher starting =
        new OfferPublisher(late, "idle-detector/late", scheduler, Duration.ofMinutes(5), meters);
    RecordingBroker started = null;
    try {
      starting.start();
      starting.offer(offer("c1", "n1", "2"), System.nanoTime());
      await().atMost(Duration.ofSeconds(20)).until(() -> breaks(logs).size() >= 2);
      assertThat(breaks(logs))
          .as("breaks before the broker is up")
          .allMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.INFO);

      started = new RecordingBroker(name);
      RecordingBroker up = started;
      await().atMost(Duration.ofSeconds(60)).until(() -> up.offer("c1", "n1").isPresent());
      int before = breaks(logs).size();
      up.breakStreams();
      await().atMost(Duration.ofSeconds(20)).until(() -> breaks(logs).size() > before);
      assertThat(breaks(logs).get(before).getLevel())
          .as("a break of a stream that was up")
          .isEqualTo(ch.qos.logback.classic.Level.WARN);
    } finally {
      logger.detachAppender(logs);
      starting.close();
      late.shutdownNow();
      if (started != null) {
        started.close();
      }
    }
  }

  private static List<ch.qos.logback.classic.spi.ILoggingEvent> breaks(
      ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs) {
    List<ch.qos.logback.classic.spi.ILoggingEvent> all;
    synchronized (logs) { // appends hold the appender's lock
      all = List.copyOf(logs.list);
    }
    return all.stream()
        .filter(e -> e.getMessage().startsWith("offer stream to the broker broken"))
        .toList();
  }

  @Test
  void fullResyncOfOneMemberLeavesOtherMembersAlone() {
    publisher.offer(offer("c1", "n1", "2"), System.nanoTime());
    publisher.offer(offer("c2", "n1", "2"), System.nanoTime());
    await().atMost(Duration.ofSeconds(10)).until(() -> broker.offers.size() == 2);
    publisher.member("c1", false, "down");
    await().atMost(Duration.ofSeconds(10)).until(() -> broker.offers.size() == 1);
    assertThat(broker.offers).containsOnlyKeys("c2/n1");
    assertThat(publisher.sourceIdOf("c1")).isEqualTo("idle-detector/test/c1");
  }
}
