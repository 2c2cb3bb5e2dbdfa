package io.gleaner.meta.coord;

/**
 * A write refused because this replica may not act now: it does not lead, or its leader lease
 * ({@link LeaderLease}) has run out. Nothing was sent; the caller retries once it leads again.
 */
public final class NotLeaderException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public NotLeaderException(String message) {
    super(message, null, false, false);
  }

  /** Whether {@code t} or one of its causes is a {@link NotLeaderException}. */
  public static boolean isCause(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof NotLeaderException) {
        return true;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return false;
  }
}
