package io.gleaner.meta.coord;

/**
 * ZooKeeper could not be reached or answered with an unexpected error. Expected races (a version
 * conflict, a missing node) are typed outcomes ({@link CasResult}, {@link TxResult}), not
 * exceptions.
 */
public class CoordinationException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CoordinationException(String message, Throwable cause) {
    super(message, cause);
  }

  public CoordinationException(String message) {
    super(message);
  }
}
