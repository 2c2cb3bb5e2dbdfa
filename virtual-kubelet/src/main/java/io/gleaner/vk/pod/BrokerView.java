package io.gleaner.vk.pod;

import io.gleaner.api.client.BrokerApiClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The broker's reservations as a takeover finds them. After a restart, one ListPlacements per
 * member that has pods replaces a Confirm per adopted pod: reservations the broker already holds as
 * confirmed (or no longer holds at all, which a Confirm would answer NOT_FOUND) need no call.
 */
final class BrokerView {
  private final BrokerApiClient broker;
  private final Map<String, Boolean> confirmedAtStart = new ConcurrentHashMap<>();
  private final Set<String> listedAtStart = ConcurrentHashMap.newKeySet();

  BrokerView(BrokerApiClient broker) {
    this.broker = broker;
  }

  /**
   * Lists the placements of each member with pods, all at once (a takeover waits for the slowest,
   * not their sum), on at most {@code min(8, members)} threads.
   */
  void load(List<String> membersWithPods, int members) {
    List<CompletableFuture<Void>> calls = new ArrayList<>();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.max(1, Math.min(8, members)), WorkQueue.threads("vk-broker-view"));
    for (String cluster : membersWithPods) {
      calls.add(
          CompletableFuture.runAsync(
              () ->
                  broker
                      .placementsByUid(cluster)
                      .ifPresent(
                          placements -> {
                            placements.forEach(
                                (uid, p) -> confirmedAtStart.put(uid, p.getConfirmed()));
                            listedAtStart.add(cluster);
                          }),
              pool));
    }
    try {
      calls.forEach(CompletableFuture::join);
    } finally {
      pool.shutdown();
    }
  }

  /**
   * Whether an adopted pod's reservation needs no Confirm: its member was listed and the broker
   * held it as confirmed or not at all. Answers once per pod (the entry is dropped).
   */
  boolean confirmed(String uid, String cluster) {
    Boolean confirmed = confirmedAtStart.remove(uid);
    return listedAtStart.contains(cluster) && (confirmed == null || confirmed);
  }
}
