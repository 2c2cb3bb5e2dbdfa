package io.gleaner.meta.service;

/** A component failed to start; the message names the component. */
public class LifecycleException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public LifecycleException(String message, Throwable cause) {
    super(message, cause);
  }

  public LifecycleException(String message) {
    super(message);
  }
}
