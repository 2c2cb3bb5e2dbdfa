package io.gleaner.broker.grpc;

import io.gleaner.broker.ledger.Ledger;
import io.gleaner.broker.placement.CapacityTotals;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The broker's meters; the one class that owns their names. */
public final class BrokerMetrics {
  /**
   * Counter: Place answers, tags {@code outcome} (placed|existing|no_fit|error), {@code class},
   * {@code source}.
   */
  public static final String PLACEMENTS = "gleaner.broker.placements";

  /** Timer: how long a Place decision (with its durable reservation) takes. */
  public static final String DECISION = "gleaner.broker.decision.latency";

  /** Counter: offers received, tag {@code outcome} (accepted|refreshed|ignored|rejected). */
  public static final String OFFERS = "gleaner.broker.offers";

  /** Counter: withdrawals, tag {@code outcome} (withdrawn|noop). */
  public static final String WITHDRAWALS = "gleaner.broker.withdrawals";

  /**
   * Gauge: reserved (unconfirmed) amount, tags {@code cluster}, {@code source}, {@code resource}.
   */
  public static final String RESERVED = "gleaner.broker.reserved";

  /** Gauge: placed (confirmed) amount, tags {@code cluster}, {@code source}, {@code resource}. */
  public static final String PLACED = "gleaner.broker.placed";

  /** Gauge: free amount, tags {@code cluster}, {@code source}, {@code resource}. */
  public static final String FREE = "gleaner.broker.free";

  /** Gauge: nodes with an active offer. */
  public static final String NODES = "gleaner.broker.nodes";

  /** Counter: ledger writes that lost a compare-and-set race and were retried. */
  public static final String CONFLICTS = "gleaner.broker.ledger.conflicts";

  private final MeterRegistry registry;
  private final Timer decision;
  private final MultiGauge reserved;
  private final MultiGauge placed;
  private final MultiGauge free;

  public BrokerMetrics(MeterRegistry registry, Ledger ledger) {
    this.registry = registry;
    this.decision =
        Timer.builder(DECISION)
            .description("Place decision latency, including the durable reservation")
            .publishPercentiles(0.5, 0.99)
            .register(registry);
    this.reserved =
        MultiGauge.builder(RESERVED).description("reserved, not yet confirmed").register(registry);
    this.placed = MultiGauge.builder(PLACED).description("placed (confirmed)").register(registry);
    this.free = MultiGauge.builder(FREE).description("free to lend").register(registry);
    Gauge.builder(NODES, ledger, l -> l.offeredNodes().size()).register(registry);
    FunctionCounter.builder(CONFLICTS, ledger, Ledger::conflicts).register(registry);
  }

  public Timer decision() {
    return decision;
  }

  public void placement(String outcome, String cls, String source) {
    Counter.builder(PLACEMENTS)
        .tags("outcome", outcome, "class", cls, "source", source)
        .register(registry)
        .increment();
  }

  public void offer(String outcome) {
    Counter.builder(OFFERS).tag("outcome", outcome).register(registry).increment();
  }

  public void withdrawal(String outcome) {
    Counter.builder(WITHDRAWALS).tag("outcome", outcome).register(registry).increment();
  }

  /** Refreshes the per-cluster gauges from a capacity snapshot. */
  public void update(Ledger.CapacitySnapshot s) {
    List<MultiGauge.Row<?>> r = new ArrayList<>();
    List<MultiGauge.Row<?>> p = new ArrayList<>();
    List<MultiGauge.Row<?>> f = new ArrayList<>();
    for (CapacityTotals t : s.clusters()) {
      Tags tags = Tags.of("cluster", t.cluster(), "source", t.source().name().toLowerCase());
      rows(r, tags, t.reserved().toCanonical());
      rows(p, tags, t.placed().toCanonical());
      rows(f, tags, t.free().toCanonical());
    }
    reserved.register(r, true);
    placed.register(p, true);
    free.register(f, true);
  }

  private static void rows(List<MultiGauge.Row<?>> out, Tags tags, Map<String, Long> values) {
    values.forEach((name, v) -> out.add(MultiGauge.Row.of(tags.and("resource", name), v)));
  }
}
