package io.gleaner.idle;

import io.gleaner.idle.offer.MemberNodeInfo;
import io.gleaner.idle.source.ClusterCache;
import io.gleaner.idle.source.NodePatch;
import io.gleaner.idle.source.NodeWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Applies node patches straight to a {@link ClusterCache}, as the informer echo of a real write
 * would, and as the API server does: an applied patch gives the node a new {@code resourceVersion},
 * and a patch conditional on a version the node is no longer at is refused as a conflict, changing
 * nothing.
 */
final class EchoingWriter implements NodeWriter {
  /** Versions the writers give nodes, shared as an API server's are. */
  private static final AtomicLong VERSIONS = new AtomicLong(1000);

  final Map<String, ClusterCache> caches = new HashMap<>();
  final List<String> patches = new ArrayList<>();
  boolean fail;
  IdleDetector detector;

  /** While set, patches wait (not yet landed) until {@link #release()}. */
  boolean hold;

  private final List<Runnable> held = new ArrayList<>();

  @Override
  public synchronized CompletableFuture<Written> patch(
      String cluster, String node, NodePatch patch) {
    patches.add(cluster + "/" + node + " " + patch.labels() + " " + patch.annotations());
    if (fail) {
      return CompletableFuture.failedFuture(new IllegalStateException("member down"));
    }
    if (hold) {
      CompletableFuture<Written> landed = new CompletableFuture<>();
      held.add(() -> landed.complete(apply(cluster, node, patch)));
      return landed;
    }
    return CompletableFuture.completedFuture(apply(cluster, node, patch));
  }

  /** Lands the held patches, in order, and stops holding. */
  synchronized void release() {
    hold = false;
    List<Runnable> landing = List.copyOf(held);
    held.clear();
    landing.forEach(Runnable::run);
  }

  private Written apply(String cluster, String node, NodePatch patch) {
    ClusterCache cache = caches.get(cluster);
    MemberNodeInfo n = cache.node(node).orElseThrow();
    if (patch.conditional() && !patch.resourceVersion().equals(n.resourceVersion())) {
      return Written.conflict();
    }
    MemberNodeInfo next =
        n.withLabels(merge(n.labels(), patch.labels()))
            .withAnnotations(merge(n.annotations(), patch.annotations()));
    if (next.equals(n)) {
      return Written.applied(n.resourceVersion());
    }
    next = next.withResourceVersion(Long.toString(VERSIONS.incrementAndGet()));
    cache.putNode(next);
    if (detector != null) {
      detector.markNode(cluster, node, System.nanoTime());
    }
    return Written.applied(next.resourceVersion());
  }

  static Map<String, String> merge(Map<String, String> base, Map<String, String> patch) {
    Map<String, String> out = new HashMap<>(base);
    patch.forEach(
        (k, v) -> {
          if (v == null) {
            out.remove(k);
          } else {
            out.put(k, v);
          }
        });
    return out;
  }
}
