package io.gleaner.meta.metrics;

import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Objects;

/**
 * Meter conventions shared by every module, and the per-service Prometheus registry.
 *
 * <p>Names are {@code gleaner.<area>.<thing>} and fixed; identity goes into tags (see the {@code
 * TAG_*} constants), never into the name. Each module keeps its own meter names in one class of its
 * own; this class holds the common tags and the names of the meta-cluster's meters.
 *
 * <p>An instance owns one {@link PrometheusMeterRegistry} with the common tags {@code service} and
 * {@code instance} and the JVM and process binders; {@link #close()} releases the binders that hold
 * resources and closes the registry.
 */
public final class Metrics implements AutoCloseable {
  /** The service that exposes a meter: broker, idle-detector, virtual-kubelet, descheduler. */
  public static final String TAG_SERVICE = "service";

  /** The Gleaner installation ({@code --instance}). */
  public static final String TAG_INSTANCE = "instance";

  /** A member cluster's name. */
  public static final String TAG_CLUSTER = "cluster";

  /** A capacity source kind: idle, volcano, colocation, elastic. */
  public static final String TAG_SOURCE = "source";

  /** A workload class: near-line, offline. */
  public static final String TAG_CLASS = "class";

  /** A typed outcome, lower-case: ok, conflict, not_found, error, ... */
  public static final String TAG_OUTCOME = "outcome";

  /** The name of a leader election. */
  public static final String TAG_ELECTION = "election";

  /** A state-store operation: get, cas, delete, transaction. */
  public static final String TAG_OPERATION = "operation";

  /** Gauge: 1 while this replica acts as leader of the election in tag {@code election}, else 0. */
  public static final String LEADER_ACTING = "gleaner.leader.acting";

  /** Gauge: the fencing epoch this replica holds (0 when not leading). */
  public static final String LEADER_EPOCH = "gleaner.leader.epoch";

  /** Counter: leadership transitions, tag {@code outcome} = started | stopped. */
  public static final String LEADER_TRANSITIONS = "gleaner.leader.transitions";

  /**
   * Counter: ZooKeeper connection state changes, tag {@code outcome} = the new state, lower-case.
   */
  public static final String ZK_CONNECTION_STATES = "gleaner.zk.connection.states";

  /** Timer: state-store operations, tags {@code operation} and {@code outcome}. */
  public static final String STATE_OPERATIONS = "gleaner.state.operations";

  private final PrometheusMeterRegistry registry;
  private final JvmGcMetrics gcMetrics;

  private Metrics(PrometheusMeterRegistry registry, JvmGcMetrics gcMetrics) {
    this.registry = registry;
    this.gcMetrics = gcMetrics;
  }

  /**
   * A registry for one service, with common tags {@code service} and {@code instance} and the JVM
   * (memory, GC, threads, class loading) and process (CPU, uptime, file descriptors) binders.
   */
  public static Metrics create(String service, String instance) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(instance, "instance");
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags(commonTags(service, instance));
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    return new Metrics(registry, gc);
  }

  /** The common tags a service's meters carry. */
  public static Tags commonTags(String service, String instance) {
    return Tags.of(Tag.of(TAG_SERVICE, service), Tag.of(TAG_INSTANCE, instance));
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  @Override
  public void close() {
    gcMetrics.close();
    registry.close();
  }
}
