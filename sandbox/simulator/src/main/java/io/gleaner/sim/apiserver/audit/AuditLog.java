package io.gleaner.sim.apiserver.audit;

import java.util.ArrayList;
import java.util.List;

/**
 * An API server's audit trail in memory, bounded: the newest {@code capacity} events are kept and
 * older ones dropped. Readers follow it with {@link #read(long, int)}, which tells them how many
 * events they missed because they were dropped before being read. Thread-safe; {@link
 * #record(AuditEvent)} is cheap (it runs on the API server's event loop).
 */
public final class AuditLog {
  /** What an API server keeps unless told otherwise. */
  public static final int DEFAULT_CAPACITY = 100_000;

  /**
   * Events after a position.
   *
   * @param events in order, at most as many as asked for
   * @param last the position of the last event returned (or the position asked for, when none)
   * @param missed events after the position asked for that were dropped before this read
   */
  public record Page(List<AuditEvent> events, long last, long missed) {}

  private final int capacity;
  private final AuditEvent[] ring;
  private long lastSeq;

  public AuditLog(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive: " + capacity);
    }
    this.capacity = capacity;
    this.ring = new AuditEvent[capacity];
  }

  /** Appends {@code event} (its {@code seq} is assigned here); returns it as stored. */
  public synchronized AuditEvent record(AuditEvent event) {
    AuditEvent stored = event.withSeq(++lastSeq);
    ring[(int) ((lastSeq - 1) % capacity)] = stored;
    return stored;
  }

  /** Up to {@code max} events with a position after {@code after}, oldest first. */
  public synchronized Page read(long after, int max) {
    long firstKept = Math.max(1, lastSeq - capacity + 1);
    long from = Math.max(after + 1, firstKept);
    long missed = Math.max(0, firstKept - after - 1);
    long to = Math.min(lastSeq, from + Math.max(0, max) - 1);
    List<AuditEvent> out = new ArrayList<>((int) Math.max(0, to - from + 1));
    for (long seq = from; seq <= to; seq++) {
      out.add(ring[(int) ((seq - 1) % capacity)]);
    }
    return new Page(out, Math.max(after, to), missed);
  }

  /** Every event kept, oldest first. */
  public synchronized List<AuditEvent> events() {
    return read(0, capacity).events();
  }

  /** The position of the newest event (0 before any). */
  public synchronized long lastSeq() {
    return lastSeq;
  }

  /** Events recorded and since dropped to stay within the capacity. */
  public synchronized long dropped() {
    return Math.max(0, lastSeq - capacity);
  }

  public int capacity() {
    return capacity;
  }
}
