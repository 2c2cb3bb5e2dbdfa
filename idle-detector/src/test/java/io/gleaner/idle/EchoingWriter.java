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

/**
 * Applies node patches straight to a {@link ClusterCache}, as the informer echo of a real write
 * would.
 */
final class EchoingWriter implements NodeWriter {
  final Map<String, ClusterCache> caches = new HashMap<>();
  final List<String> patches = new ArrayList<>();
  boolean fail;
  IdleDetector detector;

  /** While set, patches wait (not yet landed) until {@link #release()}. */
  boolean hold;

  private final List<Runnable> held = new ArrayList<>();

  @Override
  public synchronized CompletableFuture<Void> patch(String cluster, String node, NodePatch patch) {
    patches.add(cluster + "/" + node + " " + patch.labels() + " " + patch.annotations());
    if (fail) {
      return CompletableFuture.failedFuture(new IllegalStateException("member down"));
    }
    if (hold) {
      CompletableFuture<Void> landed = new CompletableFuture<>();
      held.add(
          () -> {
            apply(cluster, node, patch);
            landed.complete(null);
          });
      return landed;
    }
    apply(cluster, node, patch);
    return CompletableFuture.completedFuture(null);
  }

  /** Lands the held patches, in order, and stops holding. */
  synchronized void release() {
    hold = false;
    List<Runnable> landing = List.copyOf(held);
    held.clear();
    landing.forEach(Runnable::run);
  }

  private void apply(String cluster, String node, NodePatch patch) {
    ClusterCache cache = caches.get(cluster);
    MemberNodeInfo n = cache.node(node).orElseThrow();
    cache.putNode(
        n.withLabels(merge(n.labels(), patch.labels()))
            .withAnnotations(merge(n.annotations(), patch.annotations())));
    if (detector != null) {
      detector.markNode(cluster, node, System.nanoTime());
    }
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
