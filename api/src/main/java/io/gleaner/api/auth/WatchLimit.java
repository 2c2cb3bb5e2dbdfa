package io.gleaner.api.auth;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.HashMap;
import java.util.Map;

/**
 * At most {@code max} open watch streams per caller identity ({@link CallerAuthorizer#IDENTITY};
 * every unauthenticated caller counts as {@link Identities#ANONYMOUS}), so one caller that opens
 * streams without end cannot use up a server's memory and threads for everyone: one stream more is
 * refused with RESOURCE_EXHAUSTED, naming the setting. The broker's and the reclaim-hook server's
 * watches share this one rule. Thread-safe; every successful {@link #tryOpen} must be matched by
 * exactly one {@link #close}.
 */
public final class WatchLimit {
  private final String streams;
  private final String setting;
  private final int max;
  private final Map<String, Integer> open = new HashMap<>();

  /**
   * @param streams what is counted, for the refusal (e.g. {@code ReclaimHooks.Watch streams})
   * @param setting where the limit is set, for the refusal
   * @param max open streams one identity may hold, at least 1
   */
  public WatchLimit(String streams, String setting, int max) {
    if (max < 1) {
      throw new IllegalArgumentException(setting + " must be at least 1, got " + max);
    }
    this.streams = streams;
    this.setting = setting;
    this.max = max;
  }

  /** The calling identity, as the limit counts it. */
  public static String caller() {
    String id = CallerAuthorizer.IDENTITY.get();
    return id == null ? Identities.ANONYMOUS : id;
  }

  /**
   * Counts one more stream of {@code identity}; false, counting nothing, when it holds the most.
   */
  public synchronized boolean tryOpen(String identity) {
    int n = open.getOrDefault(identity, 0);
    if (n >= max) {
      return false;
    }
    open.put(identity, n + 1);
    return true;
  }

  /** One stream of {@code identity} ended. */
  public synchronized void close(String identity) {
    open.computeIfPresent(identity, (k, n) -> n <= 1 ? null : n - 1);
  }

  /** Open streams of {@code identity}. */
  public synchronized int open(String identity) {
    return open.getOrDefault(identity, 0);
  }

  /** The refusal of one stream too many. */
  public StatusRuntimeException refusal(String identity) {
    return Status.RESOURCE_EXHAUSTED
        .withDescription(
            "\""
                + identity
                + "\" already holds "
                + max
                + " "
                + streams
                + ", the most one identity may hold ("
                + setting
                + ")")
        .asRuntimeException();
  }
}
