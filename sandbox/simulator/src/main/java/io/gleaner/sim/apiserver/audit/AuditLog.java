package io.gleaner.sim.apiserver.audit;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
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
  private final Deque<AuditEvent> events;
  private long lastSeq;

  public AuditLog(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive: " + capacity);
    }
    this.capacity = capacity;
    this.events = new ArrayDeque<>(Math.min(capacity, 1024));
  }

  /** Appends {@code event} (its {@code seq} is assigned here); returns it as stored. */
  public synchronized AuditEvent record(AuditEvent event) {
    AuditEvent stored = event.withSeq(++lastSeq);
    if (events.size() == capacity) {
      events.removeFirst();
    }
    events.addLast(stored);
    return stored;
  }

  /** Up to {@code max} events with a position after {@code after}, oldest first. */
  public synchronized Page read(long after, int max) {
    List<AuditEvent> out = new ArrayList<>(Math.min(max, events.size()));
    long firstKept = events.isEmpty() ? lastSeq + 1 : events.peekFirst().seq();
    long missed = Math.max(0, firstKept - after - 1);
    long skip = Math.max(0, after - firstKept + 1);
    long last = Math.max(after, firstKept - 1);
    for (AuditEvent e : events) {
      if (skip > 0) {
        skip--;
        continue;
      }
      if (out.size() == max) {
        break;
      }
      out.add(e);
      last = e.seq();
    }
    return new Page(out, last, missed);
  }

  /** Every event kept, oldest first. */
  public synchronized List<AuditEvent> events() {
    return List.copyOf(events);
  }

  /** The position of the newest event (0 before any). */
  public synchronized long lastSeq() {
    return lastSeq;
  }

  /** Events recorded and since dropped to stay within the capacity. */
  public synchronized long dropped() {
    return lastSeq - events.size();
  }

  public int capacity() {
    return capacity;
  }
}
