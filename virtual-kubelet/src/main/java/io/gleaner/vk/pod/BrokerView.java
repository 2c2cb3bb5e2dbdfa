package io.gleaner.vk.pod;

import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.Placement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The broker's reservations as a takeover finds them. After a restart, one ListPlacements per
 * watched member replaces a Confirm per adopted pod: reservations the broker already holds as
 * confirmed (or no longer holds at all, which a Confirm would answer NOT_FOUND) need no call. A
 * confirmed reservation also says that its member pod was created: one no member holds any more
 * went while no virtual-kubelet watched ({@link #createdAtStart}).
 */
final class BrokerView {
  private final BrokerApiClient broker;

  /** Confirmed reservations at the takeover, by pod UID. */
  private final Map<String, Placement> confirmedAtStart = new ConcurrentHashMap<>();

  /** Pods whose reservation was not confirmed at the takeover. */
  private final Set<String> unconfirmedAtStart = ConcurrentHashMap.newKeySet();

  private final Set<String> listedAtStart = ConcurrentHashMap.newKeySet();

  BrokerView(BrokerApiClient broker) {
    this.broker = broker;
  }

  /**
   * Lists the placements of each member, all at once (a takeover waits for the slowest, not their
   * sum), on at most {@code min(8, members)} threads.
   */
  void load(Collection<String> members) {
    List<CompletableFuture<Void>> calls = new ArrayList<>();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.max(1, Math.min(8, members.size())), WorkQueue.threads("vk-broker-view"));
    for (String cluster : members) {
      calls.add(
          CompletableFuture.runAsync(
              () ->
                  broker
                      .placementsByUid(cluster)
                      .ifPresent(
                          placements -> {
                            placements.forEach(
                                (uid, p) -> {
                                  if (p.getConfirmed()) {
                                    confirmedAtStart.put(uid, p);
                                  } else {
                                    unconfirmedAtStart.add(uid);
                                  }
                                });
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
   * held it as confirmed or not at all. Answers once per pod (what was kept of it is dropped).
   */
  boolean confirmed(String uid, String cluster) {
    confirmedAtStart.remove(uid);
    boolean unconfirmed = unconfirmedAtStart.remove(uid);
    return listedAtStart.contains(cluster) && !unconfirmed;
  }

  /**
   * The reservation the broker held confirmed for {@code uid} at the takeover, if it did: its
   * member pod was created in that member. Answers once per pod (what was kept of it is dropped).
   */
  Optional<Placement> createdAtStart(String uid) {
    unconfirmedAtStart.remove(uid);
    return Optional.ofNullable(confirmedAtStart.remove(uid));
  }
}
