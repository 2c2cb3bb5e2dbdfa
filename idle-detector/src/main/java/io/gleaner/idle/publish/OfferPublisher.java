package io.gleaner.idle.publish;

import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.MemberHealth;
import io.gleaner.api.v1.NodeOffer;
import io.gleaner.api.v1.OfferAck;
import io.gleaner.api.v1.OfferReport;
import io.gleaner.api.v1.OfferWithdrawal;
import io.gleaner.idle.offer.Offer;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes offers to the broker over one {@code ReportOffers} client stream.
 *
 * <p>Each member cluster reports under its own {@code source_id} ({@code <sourceId>/<cluster>}), so
 * a full resync and a member's withdrawal cover exactly that member's nodes and stay small. On
 * every (re)connect the publisher sends a {@code full_resync} per member with the offers it
 * currently holds (nodes not listed are withdrawn by the broker) and the member's health;
 * afterwards one report per offer change. A broken stream is reopened after an exponential backoff
 * with jitter; the stream carries a deadline and is reopened at once when it expires. Offers that
 * change while disconnected only update the snapshot the next resync sends.
 *
 * <p>A stream that breaks before any stream has come up (the broker is still starting, as in a
 * fresh install or the sandbox) is logged at INFO: that is expected. Once a stream has come up (its
 * call got a transport to the broker), every break is a WARN.
 *
 * <p>Thread-safe; sends are serialized.
 */
public final class OfferPublisher implements OfferSink, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OfferPublisher.class);

  /**
   * Timer: from a member change to its offer (or withdrawal) being sent to the broker. Tag {@code
   * source}.
   */
  public static final String LATENCY_METER = "gleaner.idle.offer.latency";

  /** Counter: stream (re)connects, tag {@code outcome} = connected | failed. */
  public static final String STREAMS_METER = "gleaner.idle.offer.streams";

  private final BrokerApiClient broker;
  private final String sourceId;
  private final ScheduledExecutorService scheduler;
  private final Backoff backoff;
  private final MeterRegistry meters;
  private final Map<String, Timer> latencyTimers = new HashMap<>();

  private final Object lock = new Object();
  private final Map<String, Map<String, NodeOffer>> offers = new HashMap<>();
  private final Map<String, MemberHealth> health = new HashMap<>();
  private final Set<String> forgotten = new HashSet<>();
  private StreamObserver<OfferReport> stream;
  private long streamId;
  private long connectedAtNanos;

  /** A stream has come up: its call got a transport to the broker (set from gRPC's threads). */
  private volatile boolean everUp;

  private ScheduledFuture<?> reconnect;
  private boolean closed;
  private final AtomicLong sent = new AtomicLong();

  /**
   * @param channel the broker's channel (owned by the caller)
   * @param sourceId this detector's identity, e.g. {@code idle-detector/<instance>}
   * @param scheduler runs reconnects
   * @param streamDeadline the deadline of one stream; it is reopened when it expires
   */
  public OfferPublisher(
      Channel channel,
      String sourceId,
      ScheduledExecutorService scheduler,
      Duration streamDeadline,
      MeterRegistry meters) {
    this.broker =
        BrokerApiClient.on(
            Objects.requireNonNull(channel, "channel"),
            Objects.requireNonNull(streamDeadline, "streamDeadline"),
            streamDeadline);
    this.sourceId = Objects.requireNonNull(sourceId, "sourceId");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.meters = Objects.requireNonNull(meters, "meters");
    this.backoff =
        new Backoff(
            Duration.ofMillis(200),
            Duration.ofSeconds(30),
            ThreadLocalRandom.current()::nextDouble);
  }

  /**
   * How often every held offer is sent again (real time). The broker withdraws an offer that is not
   * refreshed within its TTL (60 s by default), and an unchanged node produces no new offer, so the
   * publisher re-sends what it holds.
   */
  public static final Duration DEFAULT_REFRESH = Duration.ofSeconds(15);

  private ScheduledFuture<?> refresher;

  /**
   * Opens the stream (and keeps it open until {@link #close()}), and re-sends every held offer
   * periodically.
   */
  public void start() {
    start(DEFAULT_REFRESH);
  }

  /** As {@link #start()}, re-sending held offers every {@code refreshEvery} of real time. */
  public void start(Duration refreshEvery) {
    synchronized (lock) {
      connect();
      long ms = Math.max(10, refreshEvery.toMillis());
      refresher = scheduler.scheduleAtFixedRate(this::refresh, ms, ms, TimeUnit.MILLISECONDS);
    }
  }

  /** Re-sends every held offer as one full resync per member, so none outlives the broker's TTL. */
  public void refresh() {
    synchronized (lock) {
      if (closed || stream == null) {
        return;
      }
      for (String cluster : List.copyOf(offers.keySet())) {
        send(resync(cluster));
      }
    }
  }

  /** The stream is open. */
  public boolean connected() {
    synchronized (lock) {
      return stream != null;
    }
  }

  /** Reports sent since start (for tests and benches). */
  public long reportsSent() {
    return sent.get();
  }

  /** The source id a member's offers are reported under. */
  public String sourceIdOf(String cluster) {
    return sourceId + "/" + cluster;
  }

  @Override
  public void offer(Offer offer, long changeNanos) {
    NodeOffer proto = ProtoOffers.toProto(offer);
    synchronized (lock) {
      offers.computeIfAbsent(offer.cluster(), c -> new LinkedHashMap<>()).put(offer.node(), proto);
      send(
          OfferReport.newBuilder()
              .setSourceId(sourceIdOf(offer.cluster()))
              .addOffers(proto)
              .build());
      record(offer.source().name(), changeNanos);
    }
  }

  @Override
  public void withdraw(String cluster, String node, String reason, long changeNanos) {
    synchronized (lock) {
      Map<String, NodeOffer> m = offers.get(cluster);
      NodeOffer was = m == null ? null : m.remove(node);
      send(
          OfferReport.newBuilder()
              .setSourceId(sourceIdOf(cluster))
              .addWithdrawals(
                  OfferWithdrawal.newBuilder().setCluster(cluster).setNode(node).setReason(reason))
              .build());
      if (was != null) {
        record(was.getSource().name(), changeNanos);
      }
    }
  }

  @Override
  public void member(String cluster, boolean reachable, String message) {
    MemberHealth h =
        MemberHealth.newBuilder()
            .setCluster(cluster)
            .setReachable(reachable)
            .setMessage(message == null ? "" : message)
            .build();
    synchronized (lock) {
      forgotten.remove(cluster);
      health.put(cluster, h);
      if (reachable) {
        send(OfferReport.newBuilder().setSourceId(sourceIdOf(cluster)).addMembers(h).build());
      } else {
        offers.remove(cluster);
        send(resync(cluster));
      }
    }
  }

  @Override
  public void clusterRemoved(String cluster) {
    synchronized (lock) {
      offers.remove(cluster);
      health.remove(cluster);
      forgotten.add(cluster);
      if (stream != null) {
        send(resync(cluster));
        forgotten.remove(cluster);
      }
    }
  }

  /** The offers the publisher holds for {@code cluster} (what a resync would send), by node. */
  public Map<String, NodeOffer> snapshot(String cluster) {
    synchronized (lock) {
      return Map.copyOf(offers.getOrDefault(cluster, Map.of()));
    }
  }

  private OfferReport resync(String cluster) {
    OfferReport.Builder b =
        OfferReport.newBuilder()
            .setSourceId(sourceIdOf(cluster))
            .setFullResync(true)
            .addAllOffers(offers.getOrDefault(cluster, Map.of()).values());
    MemberHealth h = health.get(cluster);
    if (h != null) {
      b.addMembers(h);
    }
    return b.build();
  }

  private void record(String source, long changeNanos) {
    if (changeNanos <= 0 || stream == null) {
      return;
    }
    Timer t =
        latencyTimers.computeIfAbsent(
            source,
            s ->
                Timer.builder(LATENCY_METER)
                    .description("From a member change to its offer being sent to the broker")
                    .tag("source", s.toLowerCase(java.util.Locale.ROOT))
                    .publishPercentiles(0.5, 0.99)
                    .register(meters));
    t.record(System.nanoTime() - changeNanos, TimeUnit.NANOSECONDS);
  }

  // ---- stream, under lock ----------------------------------------------------------------------

  private void send(OfferReport report) {
    if (stream == null) {
      return;
    }
    try {
      stream.onNext(report);
      sent.incrementAndGet();
    } catch (RuntimeException e) {
      LOG.warn("sending to the broker failed, reconnecting: {}", e.toString());
      broken(streamId, Status.fromThrowable(e));
    }
  }

  private void connect() {
    if (closed || stream != null) {
      return;
    }
    reconnect = null;
    long id = ++streamId;
    StreamObserver<OfferAck> answers =
        new ClientResponseObserver<OfferReport, OfferAck>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<OfferReport> call) {
            call.setOnReadyHandler(() -> everUp = true);
          }

          @Override
          public void onNext(OfferAck ack) {
            if (ack.getRejectedCount() > 0) {
              LOG.warn(
                  "broker rejected {} offers, e.g. {}",
                  Math.max(ack.getRejectedTotal(), ack.getRejectedCount()),
                  ack.getRejected(0));
            }
          }

          @Override
          public void onError(Throwable t) {
            synchronized (lock) {
              broken(id, Status.fromThrowable(t));
            }
          }

          @Override
          public void onCompleted() {
            synchronized (lock) {
              broken(id, Status.UNAVAILABLE.withDescription("broker ended the offer stream"));
            }
          }
        };
    StreamObserver<OfferReport> opened;
    try {
      opened = broker.reportOffers(answers);
    } catch (RuntimeException e) {
      broken(id, Status.fromThrowable(e));
      return;
    }
    if (reconnect != null) {
      // the call failed while it was being opened, on this thread (a client interceptor refused
      // it: a leader whose lease ran out); broken() has scheduled the next try. Keeping the dead
      // stream would make that try a no-op and leave the publisher mute for good.
      return;
    }
    stream = opened;
    connectedAtNanos = System.nanoTime();
    Set<String> clusters = new HashSet<>(offers.keySet());
    clusters.addAll(health.keySet());
    clusters.addAll(forgotten);
    forgotten.clear();
    for (String c : clusters) {
      send(resync(c));
    }
    meters.counter(STREAMS_METER, "outcome", "connected").increment();
    LOG.info("offer stream to the broker open, resynced {} members", clusters.size());
  }

  private void broken(long id, Status status) {
    if (id != streamId || stream == null && reconnect != null) {
      return;
    }
    StreamObserver<OfferReport> s = stream;
    stream = null;
    if (s != null) {
      try {
        s.onError(status.asRuntimeException());
      } catch (RuntimeException ignored) {
        // already closed
      }
    }
    if (closed) {
      return;
    }
    meters.counter(STREAMS_METER, "outcome", "failed").increment();
    Duration wait;
    if (status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
      wait = Duration.ZERO;
    } else {
      if (connectedAtNanos > 0
          && System.nanoTime() - connectedAtNanos > TimeUnit.SECONDS.toNanos(10)) {
        backoff.reset();
      }
      wait = backoff.next();
    }
    connectedAtNanos = 0;
    String message = "offer stream to the broker broken ({}: {}), reconnecting in {} ms";
    if (everUp) {
      LOG.warn(message, status.getCode(), status.getDescription(), wait.toMillis());
    } else {
      LOG.info(
          message + " (no stream has come up yet: the broker may still be starting)",
          status.getCode(),
          status.getDescription(),
          wait.toMillis());
    }
    reconnect =
        scheduler.schedule(
            () -> {
              synchronized (lock) {
                connect();
              }
            },
            wait.toMillis(),
            TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      if (refresher != null) {
        refresher.cancel(false);
      }
      if (reconnect != null) {
        reconnect.cancel(false);
      }
      if (stream != null) {
        try {
          stream.onCompleted();
        } catch (RuntimeException ignored) {
          // the stream was already broken
        }
        stream = null;
      }
    }
  }
}
