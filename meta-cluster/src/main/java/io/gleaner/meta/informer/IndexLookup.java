package io.gleaner.meta.informer;

import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Indexer;
import java.util.List;

/**
 * Reads an informer index without seeing an object vanish while it is being updated.
 *
 * <p>fabric8 7.x updates an object's index entries by removing the old values and then adding the
 * new ones, inside the cache's synchronized {@code put}, while {@code byIndex} reads without the
 * lock. An update that keeps the same index value (a status change of a pod) therefore has a moment
 * in which {@code byIndex} answers "no such object". A controller that reads that as "the pod was
 * deleted" acts on a live pod. Taking the cache's monitor for the read makes it see the state
 * before or after the update, never in between.
 */
public final class IndexLookup {
  private IndexLookup() {}

  /** The objects whose {@code index} contains {@code value}, consistent with concurrent updates. */
  public static <T> List<T> byIndex(SharedIndexInformer<T> informer, String index, String value) {
    return byIndex(informer.getIndexer(), index, value);
  }

  /** As {@link #byIndex(SharedIndexInformer, String, String)}, for the informer's indexer. */
  public static <T> List<T> byIndex(Indexer<T> indexer, String index, String value) {
    synchronized (indexer) {
      return indexer.byIndex(index, value);
    }
  }
}
