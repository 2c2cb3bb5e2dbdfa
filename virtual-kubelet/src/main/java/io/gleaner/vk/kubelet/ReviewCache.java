package io.gleaner.vk.kubelet;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A bounded cache of review answers, each kept for its own time to live (as the kubelet's webhook
 * authenticator and authorizer cache TokenReview and SubjectAccessReview answers). When full, the
 * least recently used answer makes room. Thread-safe. Times come from a monotonic nanosecond
 * ticker, not the (possibly accelerated) cluster clock: a cached review is about real time.
 */
final class ReviewCache<K, V> {
  private record Entry<V>(V value, long expiresAtNanos) {}

  private final int maxSize;
  private final LongSupplier nanoTime;
  private final LinkedHashMap<K, Entry<V>> entries;

  ReviewCache(int maxSize, LongSupplier nanoTime) {
    if (maxSize < 1) {
      throw new IllegalArgumentException("maxSize must be >= 1, got " + maxSize);
    }
    this.maxSize = maxSize;
    this.nanoTime = nanoTime;
    this.entries =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<K, Entry<V>> eldest) {
            return size() > ReviewCache.this.maxSize;
          }
        };
  }

  /** The cached answer for {@code key}, or null when there is none or it expired. */
  synchronized V get(K key) {
    Entry<V> e = entries.get(key);
    if (e == null) {
      return null;
    }
    if (nanoTime.getAsLong() - e.expiresAtNanos() >= 0) {
      entries.remove(key);
      return null;
    }
    return e.value();
  }

  /** Keeps {@code value} for {@code ttl}; a zero or negative ttl keeps nothing. */
  synchronized void put(K key, V value, Duration ttl) {
    if (ttl.isZero() || ttl.isNegative()) {
      entries.remove(key);
      return;
    }
    entries.put(key, new Entry<>(value, nanoTime.getAsLong() + ttl.toNanos()));
  }

  synchronized int size() {
    entries.values().removeIf(e -> nanoTime.getAsLong() - e.expiresAtNanos() >= 0);
    return entries.size();
  }
}
