package io.gleaner.vk.pod;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** The virtual-kubelet's meters; the one place their names are written. */
public final class VkMetrics {
  /** Gauge: metadata pods on the virtual node, tags {@code phase}, {@code class}. */
  public static final String PODS = "gleaner.vk.pods";

  /** Timer: first seen bound → member pod created. */
  public static final String POD_CREATE_LATENCY = "gleaner.vk.pod_create_latency";

  /**
   * Counter: pods re-placed because the member could not run them where the broker said, tag {@code
   * cluster}.
   */
  public static final String REPLACEMENTS = "gleaner.vk.replacements";

  /** Counter: failed operations, tags {@code cluster}, {@code operation}. */
  public static final String ERRORS = "gleaner.vk.errors";

  /** Counter: outcome of each pod sync, tag {@code outcome}. */
  public static final String SYNCS = "gleaner.vk.syncs";

  /**
   * Counter: member events re-emitted on metadata pods, tag {@code outcome} = emitted | dropped.
   */
  public static final String EVENTS = "gleaner.vk.events";

  /** Metadata pods failed for recreation because their member left the federation, by cluster. */
  public static final String DRAINED = "gleaner.vk.drained";

  private final MeterRegistry registry;
  private final Timer createLatency;
  private final Map<String, AtomicLong> podGauges = new ConcurrentHashMap<>();

  public VkMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.createLatency =
        Timer.builder(POD_CREATE_LATENCY)
            .publishPercentiles(0.5, 0.99)
            .description("first seen bound to the virtual node -> member pod created")
            .register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  public void created(Duration sinceBound) {
    createLatency.record(sinceBound.isNegative() ? Duration.ZERO : sinceBound);
  }

  public Timer createLatency() {
    return createLatency;
  }

  public void replacement(String cluster) {
    Counter.builder(REPLACEMENTS).tag("cluster", cluster).register(registry).increment();
  }

  public void error(String cluster, String operation) {
    Counter.builder(ERRORS)
        .tag("cluster", cluster)
        .tag("operation", operation)
        .register(registry)
        .increment();
  }

  public void sync(String outcome) {
    Counter.builder(SYNCS).tag("outcome", outcome).register(registry).increment();
  }

  public void drained(String cluster) {
    Counter.builder(DRAINED).tag("cluster", cluster).register(registry).increment();
  }

  public void event(String outcome) {
    Counter.builder(EVENTS).tag("outcome", outcome).register(registry).increment();
  }

  /** Sets the gauge for one phase/class pair (the controller recounts periodically). */
  public void pods(String phase, String cls, long count) {
    podGauges
        .computeIfAbsent(
            phase + "|" + cls,
            k -> {
              AtomicLong v = new AtomicLong();
              registry.gauge(
                  PODS, io.micrometer.core.instrument.Tags.of("phase", phase, "class", cls), v);
              return v;
            })
        .set(count);
  }

  public double count(String name, String... tags) {
    Counter c = registry.find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }
}
