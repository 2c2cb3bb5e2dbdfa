package io.gleaner.broker.model;

/**
 * A broker call that fails for a reason the caller can act on; {@link Code} maps to a gRPC status.
 */
public final class BrokerException extends RuntimeException {
  /** The failure kinds, named after the gRPC status codes they map to. */
  public enum Code {
    INVALID_ARGUMENT,
    NOT_FOUND,
    ABORTED,
    UNAVAILABLE
  }

  private final Code code;

  public BrokerException(Code code, String message) {
    super(message);
    this.code = code;
  }

  public BrokerException(Code code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public Code code() {
    return code;
  }

  public static BrokerException invalid(String message) {
    return new BrokerException(Code.INVALID_ARGUMENT, message);
  }

  public static BrokerException notFound(String message) {
    return new BrokerException(Code.NOT_FOUND, message);
  }
}
