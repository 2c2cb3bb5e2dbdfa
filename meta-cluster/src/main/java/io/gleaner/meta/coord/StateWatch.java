package io.gleaner.meta.coord;

/** A running watch; {@link #close()} stops it. */
public interface StateWatch extends AutoCloseable {
  @Override
  void close();
}
