package io.gleaner.meta.resources;

/**
 * A resource quantity that is not a valid Kubernetes quantity, or is negative where that is not
 * allowed.
 */
public class InvalidQuantityException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidQuantityException(String message) {
    super(message);
  }
}
