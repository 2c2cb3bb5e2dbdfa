package io.gleaner.vk.node;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.api.v1.Capacity;
import io.gleaner.meta.coord.NotLeaderException;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the virtual node registered and truthful.
 *
 * <p>Two independent paths, each on its own thread, so that a slow or failing status update can
 * never delay the heartbeat (the cause of node flapping in kubelets that share one path):
 *
 * <ul>
 *   <li>heartbeat: the Lease {@code kube-node-lease/<node>} renewed every {@code leaseRenew} with
 *       {@code leaseDuration}, recreated if deleted — as the kubelet's node lease controller does;
 *   <li>status: the Node re-created if deleted; labels/annotations/taints and {@code nodes/status}
 *       patched with the object's real resourceVersion when something changed (rate-limited to one
 *       per {@code statusMinInterval}) and at least every {@code statusReport}.
 * </ul>
 */
public final class NodeController implements AutoCloseable {
  public static final String LEASE_NAMESPACE = "kube-node-lease";
  private static final Logger log = LoggerFactory.getLogger(NodeController.class);

  /** Intervals of the two paths. */
  public record Timing(
      Duration statusMinInterval,
      Duration statusReport,
      Duration leaseRenew,
      Duration leaseDuration) {
    public static Timing defaults() {
      return new Timing(
          Duration.ofSeconds(1),
          Duration.ofMinutes(1),
          Duration.ofSeconds(10),
          Duration.ofSeconds(40));
    }
  }

  private final KubernetesClient meta;
  private final NodeConfig config;
  private final Clock clock;
  private final UnaryOperator<Duration> toReal;
  private final Supplier<Capacity> capacity;
  private final Supplier<NodeHealth> health;
  private final Timing timing;
  private final ScheduledExecutorService statusThread =
      Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "vk-node-status"));
  private final ScheduledExecutorService leaseThread =
      Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "vk-node-lease"));
  private final AtomicBoolean dirty = new AtomicBoolean(true);
  private final AtomicLong lastStatusMs = new AtomicLong();
  private final AtomicLong statusUpdates = new AtomicLong();
  private final AtomicLong leaseRenewals = new AtomicLong();

  public NodeController(
      KubernetesClient meta,
      NodeConfig config,
      Clock clock,
      UnaryOperator<Duration> toReal,
      Supplier<Capacity> capacity,
      Supplier<NodeHealth> health,
      Timing timing) {
    this.meta = meta;
    this.config = config;
    this.clock = clock;
    this.toReal = toReal;
    this.capacity = capacity;
    this.health = health;
    this.timing = timing;
  }

  public void start() {
    updateStatus();
    renewLease();
    long leaseMs = Math.max(10, toReal.apply(timing.leaseRenew()).toMillis());
    leaseThread.scheduleWithFixedDelay(this::safeRenew, leaseMs, leaseMs, TimeUnit.MILLISECONDS);
    long statusMs = Math.max(10, toReal.apply(timing.statusMinInterval()).toMillis());
    statusThread.scheduleWithFixedDelay(
        this::safeStatus, statusMs, statusMs, TimeUnit.MILLISECONDS);
    log.info(
        "node {} registered; lease renewed every {}, status at most every {}",
        config.name(),
        timing.leaseRenew(),
        timing.statusMinInterval());
  }

  /** Something the node shows changed (capacity, health): patch soon, within the rate limit. */
  public void requestStatusUpdate() {
    dirty.set(true);
  }

  private void safeStatus() {
    boolean due = clock.millis() - lastStatusMs.get() >= timing.statusReport().toMillis();
    if (!dirty.get() && !due) {
      return;
    }
    try {
      updateStatus();
    } catch (RuntimeException e) {
      dirty.set(true);
      if (NotLeaderException.isCause(e)) {
        log.debug("node status update paused: {}", e.getMessage()); // the election says why
      } else {
        log.warn("node status update failed, will retry: {}", e.toString());
      }
    }
  }

  private void safeRenew() {
    try {
      renewLease();
    } catch (RuntimeException e) {
      if (NotLeaderException.isCause(e)) {
        log.debug("node lease renewal paused: {}", e.getMessage()); // the election says why
      } else {
        log.warn("node lease renewal failed, will retry: {}", e.toString());
      }
    }
  }

  /** One status pass: recreate if deleted, patch metadata/spec if changed, patch status. */
  void updateStatus() {
    dirty.set(false);
    Node existing = meta.nodes().withName(config.name()).get();
    Node desired =
        NodeBuilder.build(config, capacity.get(), health.get(), existing, clock.instant());
    if (existing == null) {
      desired.getMetadata().setResourceVersion(null);
      try {
        existing = meta.nodes().resource(desired).create();
        log.info("node {} created", config.name());
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
        existing = meta.nodes().withName(config.name()).get();
      }
      desired = NodeBuilder.build(config, capacity.get(), health.get(), existing, clock.instant());
    }
    String rv = existing.getMetadata().getResourceVersion();
    if (!Objects.equals(
            existing.getMetadata().getLabels(),
            merged(existing.getMetadata().getLabels(), desired.getMetadata().getLabels()))
        || !Objects.equals(
            existing.getMetadata().getAnnotations(), desired.getMetadata().getAnnotations())
        || !Objects.equals(existing.getSpec().getTaints(), desired.getSpec().getTaints())) {
      Map<String, Object> md = new LinkedHashMap<>();
      md.put("resourceVersion", rv);
      md.put("labels", desired.getMetadata().getLabels());
      md.put("annotations", desired.getMetadata().getAnnotations());
      Node patched =
          meta.nodes()
              .resource(existing)
              .patch(
                  PatchContext.of(PatchType.JSON_MERGE),
                  Serialization.asJson(
                      Map.of(
                          "metadata",
                          md,
                          "spec",
                          Map.of("taints", desired.getSpec().getTaints()))));
      rv = patched.getMetadata().getResourceVersion();
    }
    Map<String, Object> status =
        Serialization.jsonMapper().convertValue(desired.getStatus(), LinkedHashMap.class);
    meta.nodes()
        .resource(existing)
        .subresource("status")
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            Serialization.asJson(
                Map.of("metadata", Map.of("resourceVersion", rv), "status", status)));
    lastStatusMs.set(clock.millis());
    statusUpdates.incrementAndGet();
  }

  private static Map<String, String> merged(
      Map<String, String> existing, Map<String, String> desired) {
    Map<String, String> m = new LinkedHashMap<>(existing == null ? Map.of() : existing);
    m.putAll(desired);
    return m;
  }

  /** One heartbeat: renew the Lease, creating it if missing. */
  void renewLease() {
    java.time.ZonedDateTime now = clock.instant().atZone(ZoneOffset.UTC);
    var leases = meta.resources(Lease.class).inNamespace(LEASE_NAMESPACE);
    Lease lease = leases.withName(config.name()).get();
    if (lease == null) {
      Lease fresh =
          new LeaseBuilder()
              .withNewMetadata()
              .withName(config.name())
              .withNamespace(LEASE_NAMESPACE)
              .endMetadata()
              .withNewSpec()
              .withHolderIdentity(config.name())
              .withLeaseDurationSeconds((int) timing.leaseDuration().toSeconds())
              .withRenewTime(now)
              .endSpec()
              .build();
      try {
        leases.resource(fresh).create();
        log.info("node lease {}/{} created", LEASE_NAMESPACE, config.name());
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
      }
    } else {
      lease.getSpec().setRenewTime(now);
      lease.getSpec().setHolderIdentity(config.name());
      lease.getSpec().setLeaseDurationSeconds((int) timing.leaseDuration().toSeconds());
      leases.resource(lease).update();
    }
    leaseRenewals.incrementAndGet();
  }

  public long statusUpdates() {
    return statusUpdates.get();
  }

  public long leaseRenewals() {
    return leaseRenewals.get();
  }

  @Override
  public void close() {
    statusThread.shutdownNow();
    leaseThread.shutdownNow();
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
