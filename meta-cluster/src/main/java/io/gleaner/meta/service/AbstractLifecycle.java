package io.gleaner.meta.service;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Base class that enforces the {@link Lifecycle} contract; subclasses implement {@link #doStart()}
 * and {@link #doStop()} and never see an illegal transition.
 *
 * <p>{@code doStop()} runs once after a successful or failed {@code doStart()}, never for a
 * component that was never started, and never concurrently with {@code doStart()}: a {@code stop()}
 * that arrives while starting waits for the start to finish.
 */
public abstract class AbstractLifecycle implements Lifecycle {
  private static final Logger log = LoggerFactory.getLogger(AbstractLifecycle.class);

  private final String name;
  private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
  private final Object transition = new Object();

  protected AbstractLifecycle(String name) {
    this.name = Objects.requireNonNull(name, "name");
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final State state() {
    return state.get();
  }

  @Override
  public final void start() {
    if (!state.compareAndSet(State.NEW, State.STARTING)) {
      throw new IllegalStateException(
          "cannot start " + name + ": it is " + state.get() + ", and a component starts only once");
    }
    synchronized (transition) {
      try {
        doStart();
      } catch (Exception | Error e) {
        state.set(State.FAILED);
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        if (e instanceof Error err) {
          throw err;
        }
        if (e instanceof LifecycleException le) {
          throw le;
        }
        throw new LifecycleException("failed to start " + name + ": " + e.getMessage(), e);
      }
      state.set(State.RUNNING);
    }
  }

  @Override
  public final void stop() {
    if (state.compareAndSet(State.NEW, State.STOPPED)) {
      return;
    }
    State before = state.get();
    if (before == State.STOPPED || before == State.STOPPING) {
      return;
    }
    synchronized (transition) {
      State current = state.get();
      if (current == State.STOPPED || current == State.STOPPING) {
        return;
      }
      state.set(State.STOPPING);
      try {
        doStop();
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        log.warn("error while stopping {}", name, e);
      } finally {
        state.set(State.STOPPED);
      }
    }
  }

  /** Acquires resources; may block until the component is ready. Throwing marks it FAILED. */
  protected abstract void doStart() throws Exception;

  /** Releases everything {@link #doStart()} acquired, also after a partial start. */
  protected abstract void doStop() throws Exception;

  /** Throws unless RUNNING; for methods that only make sense on a running component. */
  protected final void requireRunning() {
    State s = state.get();
    if (s != State.RUNNING) {
      throw new IllegalStateException(name + " is " + s + ", not RUNNING");
    }
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + name + ", " + state.get() + "]";
  }
}
