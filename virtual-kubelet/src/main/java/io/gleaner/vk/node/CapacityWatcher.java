package io.gleaner.vk.node;

import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.Capacity;
import io.grpc.Channel;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the broker's {@code WatchCapacity} stream, reconnecting with backoff. The latest snapshot
 * and whether the stream is up feed the virtual node's capacity and Ready condition.
 */
public final class CapacityWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CapacityWatcher.class);

  private final BrokerApiClient broker;
  private final Consumer<Capacity> onCapacity;
  private final Runnable onHealthChange;
  private final ScheduledExecutorService reconnect =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "vk-capacity");
            t.setDaemon(true);
            return t;
          });
  private volatile Capacity latest;
  private volatile boolean up;
  private volatile String lastError = "not connected yet";
  private volatile boolean closed;
  private volatile BrokerApiClient.Watch current;
  private int failures;

  public CapacityWatcher(Channel channel, Consumer<Capacity> onCapacity, Runnable onHealthChange) {
    this.broker = BrokerApiClient.on(channel);
    this.onCapacity = onCapacity;
    this.onHealthChange = onHealthChange;
  }

  public void start() {
    reconnect.execute(this::connect);
  }

  private void connect() {
    if (closed) {
      return;
    }
    current =
        broker.watchCapacity(
            c -> {
              latest = c;
              failures = 0;
              if (!up) {
                up = true;
                log.info("capacity stream from the broker is up");
                onHealthChange.run();
              }
              onCapacity.accept(c);
            },
            t -> {
              if (t != null
                  && Status.fromThrowable(t).getCode() == Status.Code.DEADLINE_EXCEEDED
                  && up
                  && !closed) {
                // the stream's planned end (its deadline): reopen at once, the node stays healthy
                reconnect.execute(this::connect);
              } else {
                down(t == null ? "stream ended by the broker" : t.toString());
              }
            });
  }

  private void down(String why) {
    lastError = why;
    if (up) {
      up = false;
      log.warn("capacity stream from the broker is down: {}", why);
      onHealthChange.run();
    }
    if (!closed) {
      long delay = Math.min(10_000, 100L << Math.min(failures++, 7));
      reconnect.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
    }
  }

  public Capacity latest() {
    return latest;
  }

  public NodeHealth health() {
    return up ? NodeHealth.healthy() : NodeHealth.brokerDown(lastError);
  }

  public boolean isUp() {
    return up;
  }

  /** How long to wait at most for the first snapshot, e.g. before registering the node. */
  public boolean awaitFirst(Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (latest == null && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    return latest != null;
  }

  @Override
  public void close() {
    closed = true;
    BrokerApiClient.Watch w = current;
    if (w != null) {
      w.close();
    }
    reconnect.shutdownNow();
  }
}
