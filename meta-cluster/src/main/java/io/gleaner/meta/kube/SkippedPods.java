package io.gleaner.meta.kube;

import io.fabric8.kubernetes.api.model.Pod;
import io.gleaner.meta.resources.InvalidQuantityException;
import io.gleaner.meta.resources.Quantities;
import io.gleaner.meta.resources.Resources;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Member pods a pass leaves out because their requests cannot be counted (ARCHITECTURE.md §6, bad
 * input): a quantity that does not parse, or requests that overflow a {@code long} once summed.
 * Every skip is counted under one metric name with the member and the reason in tags; the first
 * skip of each pod is logged with the pod in the MDC, so a bad pod seen by every pass logs once.
 */
public final class SkippedPods {
  /** Tag value of a quantity that does not parse or is out of range on its own. */
  public static final String INVALID_QUANTITY = "invalid_quantity";

  /** Tag value of requests that overflow once summed. */
  public static final String OVERFLOW = "overflow";

  /**
   * The largest request of one resource a pod may make and still be counted, in canonical units
   * (1Pi of memory, about 10^12 cores): far beyond any node, and small enough that summing
   * thousands of pods on a node never overflows a {@code long}.
   */
  public static final long MAX_QUANTITY = 1L << 50;

  /** Pods remembered as logged; past this the memory starts over (a pod then logs again). */
  static final int LOGGED_LIMIT = 10_000;

  private static final Logger log = LoggerFactory.getLogger(SkippedPods.class);

  private final MeterRegistry registry;
  private final String metric;
  private final Set<String> logged = ConcurrentHashMap.newKeySet();

  /**
   * @param metric the counter's name, e.g. {@code gleaner.descheduler.skipped_pods}; tags {@code
   *     cluster} and {@code reason} ({@value #INVALID_QUANTITY} | {@value #OVERFLOW})
   */
  public SkippedPods(MeterRegistry registry, String metric) {
    this.registry = registry;
    this.metric = metric;
  }

  /** Whether this failure means the pod's requests cannot be counted (and the pod is skipped). */
  public static boolean isBadRequests(RuntimeException e) {
    return e instanceof InvalidQuantityException || e instanceof ArithmeticException;
  }

  /**
   * The requests themselves when every entry is at most {@link #MAX_QUANTITY}.
   *
   * @throws ArithmeticException naming the resource otherwise (reason {@value #OVERFLOW})
   */
  public static Resources countable(Resources requests) {
    for (Map.Entry<String, Long> e : requests.toCanonical().entrySet()) {
      if (e.getValue() > MAX_QUANTITY) {
        throw new ArithmeticException(
            "requests of "
                + e.getKey()
                + " ("
                + requests.format(e.getKey())
                + ") exceed the most Gleaner counts for one pod ("
                + Quantities.format(e.getKey(), MAX_QUANTITY)
                + ")");
      }
    }
    return requests;
  }

  /** The {@code reason} tag of a failure. */
  public static String reason(RuntimeException e) {
    return e instanceof ArithmeticException ? OVERFLOW : INVALID_QUANTITY;
  }

  /**
   * Counts one skip of {@code pod} in member {@code cluster}; logs it the first time.
   *
   * @return whether this skip was logged
   */
  public boolean skipped(String cluster, Pod pod, RuntimeException cause) {
    Counter.builder(metric)
        .description("member pods left out of a pass because their requests cannot be counted")
        .tag("cluster", cluster)
        .tag("reason", reason(cause))
        .register(registry)
        .increment();
    String uid = pod.getMetadata().getUid();
    String key = cluster + "/" + (uid == null ? pod.getMetadata().getName() : uid);
    if (logged.size() >= LOGGED_LIMIT) {
      logged.clear();
    }
    if (logged.add(key)) {
      try (MDC.MDCCloseable c = MDC.putCloseable("cluster", cluster);
          MDC.MDCCloseable n = MDC.putCloseable("namespace", pod.getMetadata().getNamespace());
          MDC.MDCCloseable p = MDC.putCloseable("pod", pod.getMetadata().getName())) {
        log.warn(
            "member {}: pod {}/{} left out (its requests cannot be counted: {}); everything else"
                + " is handled as usual",
            cluster,
            pod.getMetadata().getNamespace(),
            pod.getMetadata().getName(),
            cause.getMessage());
      }
      return true;
    }
    return false;
  }

  /** The pod is gone: a new bad pod of the same identity logs again. */
  public void forget(String cluster, Pod pod) {
    String uid = pod.getMetadata().getUid();
    logged.remove(cluster + "/" + (uid == null ? pod.getMetadata().getName() : uid));
  }
}
