package io.gleaner.bench.placement;

import io.gleaner.broker.ledger.InMemoryLedgerStore;
import io.gleaner.broker.ledger.Ledger;
import io.gleaner.broker.ledger.NodeRecord;
import io.gleaner.broker.model.GangOutcome;
import io.gleaner.broker.model.NodeOffer;
import io.gleaner.broker.model.PlaceOutcome;
import io.gleaner.broker.model.Placement;
import io.gleaner.broker.model.PodRequest;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.broker.placement.PlacementPolicy;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.resources.Resources;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import org.HdrHistogram.Histogram;

/**
 * Gangs and singles through the broker's ledger: a federation of {@code clusters} x {@code nodes}
 * nodes (32 to 64 CPU each), a stream of arrivals of which a quarter are gangs of 2 to 16 pods,
 * each job leaving after a random lifetime, on a federation first filled to 95% of its CPU by
 * singles that stay, so gangs contend. After every gang decision the ledger is checked: a placed
 * gang has every pod reserved in one member, a refused one none (else it counts as partial); at the
 * end no node holds more than it offered.
 */
final class GangBench {
  private static final long GI = 1L << 30;
  private static final Duration TTL = Duration.ofMinutes(2);

  private GangBench() {}

  private record Job(long leaveAt, List<String> uids) {}

  static Map<String, Object> run(
      int clusters, int nodesPerCluster, int arrivals, long seed, PrintStream out) {
    Random rnd = new Random(seed);
    InMemoryLedgerStore store = new InMemoryLedgerStore();
    Ledger ledger =
        new Ledger(
            store,
            PlacementPolicy.defaults().withoutMargins(),
            Clock.systemUTC(),
            Duration.ofHours(1),
            null);
    Map<String, Long> offeredCpu = new LinkedHashMap<>();
    for (int c = 0; c < clusters; c++) {
      for (int n = 0; n < nodesPerCluster; n++) {
        long cpu = 32 + 8L * rnd.nextInt(5);
        NodeOffer o =
            NodeOffer.of(
                "c" + c,
                "c" + c + "-n" + n,
                CapacitySource.IDLE,
                Resources.of("cpu", Long.toString(cpu), "memory", "256Gi", "pods", "110"));
        ledger.offer(o, "bench");
        offeredCpu.put(o.key().toString(), cpu * 1000);
      }
    }
    // fill the federation to about 95% of its CPU with long-lived singles, so gangs contend
    long total = offeredCpu.values().stream().mapToLong(Long::longValue).sum();
    long filled = 0;
    for (int k = 0; filled < total * 95 / 100; k++) {
      long cpu = 1000L * (1 + rnd.nextInt(8));
      PodRequest fill =
          PodRequest.of(
              "fill-" + k,
              WorkloadClass.OFFLINE,
              Resources.builder()
                  .putCanonical(Resources.CPU, cpu)
                  .putCanonical(Resources.MEMORY, GI)
                  .build());
      if (ledger.place(fill) instanceof PlaceOutcome.Placed) {
        filled += cpu;
      } else if (k > 10 * total / 1000) {
        break;
      }
    }
    long[] cpus = {500, 1000, 2000, 4000, 8000};
    int[] gangSizes = {2, 4, 8, 16};
    Histogram gangH = new Histogram(60_000_000_000L, 3);
    Histogram singleH = new Histogram(60_000_000_000L, 3);
    PriorityQueue<Job> live = new PriorityQueue<>((a, b) -> Long.compare(a.leaveAt, b.leaveAt));
    long gangs = 0;
    long gangsPlaced = 0;
    long gangPods = 0;
    long partial = 0;
    long singles = 0;
    long singlesPlaced = 0;
    int meanLife = Math.max(10, arrivals / 3);
    for (int k = 0; k < arrivals; k++) {
      while (!live.isEmpty() && live.peek().leaveAt <= k) {
        live.poll().uids().forEach(ledger::release);
      }
      long cpu = cpus[rnd.nextInt(cpus.length)];
      Resources req =
          Resources.builder()
              .putCanonical(Resources.CPU, cpu)
              .putCanonical(Resources.MEMORY, cpu / 1000 * 2 * GI + GI)
              .build();
      long leave = k + 1 + rnd.nextInt(2 * meanLife);
      if (rnd.nextInt(4) == 0) {
        gangs++;
        int size = gangSizes[rnd.nextInt(gangSizes.length)];
        List<PodRequest> pods = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
          pods.add(PodRequest.of("g" + k + "-" + i, WorkloadClass.OFFLINE, req));
        }
        long a = System.nanoTime();
        GangOutcome o = ledger.placeGang("bench/g" + k, pods, TTL);
        gangH.recordValue(Math.max(1, System.nanoTime() - a));
        Set<String> clustersUsed = new HashSet<>();
        int reserved = 0;
        for (PodRequest p : pods) {
          Placement pl = ledger.placement(p.podUid());
          if (pl != null) {
            reserved++;
            clustersUsed.add(pl.node().cluster());
          }
        }
        boolean whole = reserved == size && clustersUsed.size() == 1;
        if (o instanceof GangOutcome.Placed) {
          if (!whole) {
            partial++;
          }
          gangsPlaced++;
          gangPods += size;
          List<String> uids = pods.stream().map(PodRequest::podUid).toList();
          uids.forEach(ledger::confirm);
          live.add(new Job(leave, uids));
        } else if (reserved > 0) {
          partial++;
        }
      } else {
        singles++;
        String uid = "s" + k;
        long a = System.nanoTime();
        PlaceOutcome o = ledger.place(PodRequest.of(uid, WorkloadClass.OFFLINE, req));
        singleH.recordValue(Math.max(1, System.nanoTime() - a));
        if (o instanceof PlaceOutcome.Placed) {
          singlesPlaced++;
          ledger.confirm(uid);
          live.add(new Job(leave, List.of(uid)));
        }
      }
    }
    int overcommitted = 0;
    for (Map.Entry<io.gleaner.broker.model.NodeKey, NodeRecord> e : ledger.snapshot().entrySet()) {
      long used =
          e.getValue().placements().values().stream()
              .mapToLong(p -> p.resources().cpuMillis())
              .sum();
      if (used > offeredCpu.get(e.getKey().toString())) {
        overcommitted++;
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("nodes", clusters * nodesPerCluster);
    m.put("clusters", clusters);
    m.put("arrivals", arrivals);
    m.put("gangs", gangs);
    m.put("gangs_placed", gangsPlaced);
    m.put("gang_pods_placed", gangPods);
    m.put("partial_gangs", partial);
    m.put("singles", singles);
    m.put("singles_placed", singlesPlaced);
    m.put("overcommitted_nodes", overcommitted);
    m.put("gang_p50_us", PlacementBenchEngine.round(gangH.getValueAtPercentile(50) / 1000.0));
    m.put("gang_p99_us", PlacementBenchEngine.round(gangH.getValueAtPercentile(99) / 1000.0));
    m.put("single_p99_us", PlacementBenchEngine.round(singleH.getValueAtPercentile(99) / 1000.0));
    out.printf(
        "gangs     nodes=%d clusters=%d arrivals=%d gangs=%d placed=%d partial=%d overcommitted_nodes=%d"
            + " | gang placement p50=%.1fus p99=%.1fus | singles placed=%d/%d p99=%.1fus%n",
        clusters * nodesPerCluster,
        clusters,
        arrivals,
        gangs,
        gangsPlaced,
        partial,
        overcommitted,
        gangH.getValueAtPercentile(50) / 1000.0,
        gangH.getValueAtPercentile(99) / 1000.0,
        singlesPlaced,
        singles,
        singleH.getValueAtPercentile(99) / 1000.0);
    store.close();
    return m;
  }
}
