package io.gleaner.meta.registry;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.gleaner.meta.crd.Conditions;
import io.gleaner.meta.crd.MemberCluster;
import io.gleaner.meta.crd.MemberClusterStatus;
import io.gleaner.meta.crd.OfferedCapacity;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes MemberCluster statuses to the metadata cluster on its own thread, so that a slow metadata
 * API server holds back no probe of a member (the registry's worker thread sends them). Writes are
 * coalesced per member: while one waits, a newer one for the same member replaces what it changes,
 * so only the latest status is written, and at most one write per member is queued.
 *
 * <p>Each write is a JSON Patch of the fields it changes ({@code editStatus}): the conditions it
 * sets, {@code lastContactTime}, {@code offeredCapacity}; other writers' fields stay.
 */
final class MemberStatusWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MemberStatusWriter.class);

  /**
   * What to change in one member's status; a null field is left as it is.
   *
   * @param conditions the conditions to set (others stay)
   * @param lastContact {@code lastContactTime}
   * @param offer {@code offeredCapacity}
   */
  record Patch(List<Condition> conditions, String lastContact, OfferedCapacity offer) {
    /** This patch with what {@code newer} changes applied over it. */
    Patch then(Patch newer) {
      return new Patch(
          newer.conditions != null ? newer.conditions : conditions,
          newer.lastContact != null ? newer.lastContact : lastContact,
          newer.offer != null ? newer.offer : offer);
    }

    /** What it changes, for logs: {@code status}, {@code offered capacity} or both. */
    String what() {
      boolean status = conditions != null || lastContact != null;
      return status && offer != null
          ? "status and offered capacity"
          : status ? "status" : "offered capacity";
    }
  }

  /** Hears how each write ended, on the writer's thread. */
  interface Outcome {
    void written(String member, Patch patch);

    void failed(String member, Patch patch, KubernetesClientException e);
  }

  private final KubernetesClient meta;
  private final Outcome outcome;
  private final Map<String, Patch> pending = new ConcurrentHashMap<>();
  private final ExecutorService thread;

  MemberStatusWriter(KubernetesClient meta, Outcome outcome) {
    this.meta = meta;
    this.outcome = outcome;
    AtomicInteger n = new AtomicInteger();
    this.thread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "gleaner-member-status-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /** Queues {@code patch} for {@code member}, merged into one still waiting. Non-blocking. */
  void submit(String member, Patch patch) {
    boolean[] queue = {false};
    pending.compute(
        member,
        (k, waiting) -> {
          if (waiting == null) {
            queue[0] = true;
            return patch;
          }
          return waiting.then(patch);
        });
    if (queue[0]) {
      try {
        thread.execute(() -> write(member));
      } catch (RejectedExecutionException e) {
        pending.remove(member);
        log.debug("status of member {} not written: the registry stopped", member);
      }
    }
  }

  private void write(String member) {
    Patch patch = pending.remove(member);
    if (patch == null) {
      return;
    }
    try {
      meta.resources(MemberCluster.class)
          .withName(member)
          .editStatus(
              current -> {
                MemberClusterStatus status =
                    current.getStatus() == null ? new MemberClusterStatus() : current.getStatus();
                if (patch.conditions() != null) {
                  status.setConditions(
                      Conditions.setAll(status.getConditions(), patch.conditions()));
                }
                if (patch.lastContact() != null) {
                  status.setLastContactTime(patch.lastContact());
                }
                if (patch.offer() != null) {
                  status.setOfferedCapacity(patch.offer());
                }
                current.setStatus(status);
                return current;
              });
      outcome.written(member, patch);
    } catch (KubernetesClientException e) {
      outcome.failed(member, patch, e);
    } catch (RuntimeException e) {
      log.warn("writing {} of member {} failed", patch.what(), member, e);
    }
  }

  /** Writes what is queued, for at most {@code timeoutMillis}, then stops the thread. */
  @Override
  public void close() {
    close(5_000);
  }

  void close(long timeoutMillis) {
    thread.shutdown();
    try {
      if (!thread.awaitTermination(timeoutMillis, TimeUnit.MILLISECONDS)) {
        log.warn("member status writes still waiting after {} ms dropped", timeoutMillis);
        thread.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      thread.shutdownNow();
    }
  }
}
