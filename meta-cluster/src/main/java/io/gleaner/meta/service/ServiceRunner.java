package io.gleaner.meta.service;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root's runner: starts a service's components in the order they were added and
 * stops them in reverse order, on {@link #stop()} or on JVM shutdown once {@link
 * #installShutdownHook()} was called.
 *
 * <p>If a component fails to start, the ones already started are stopped in reverse order and
 * {@link #start()} throws. A runner is itself a {@link Lifecycle}, so runners nest (the sandbox
 * runs the four services' runners in one JVM).
 */
public final class ServiceRunner extends AbstractLifecycle {
  private static final Logger log = LoggerFactory.getLogger(ServiceRunner.class);

  private final List<Lifecycle> components = new ArrayList<>();
  private final List<Lifecycle> started = new ArrayList<>();
  private final AtomicBoolean configLogged = new AtomicBoolean();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private Thread shutdownHook;

  /**
   * @param service the service name for logs, e.g. {@code "broker"}
   */
  public ServiceRunner(String service) {
    super(service);
  }

  /** Adds a component to start after those added before; only before {@link #start()}. */
  public synchronized ServiceRunner add(Lifecycle component) {
    Objects.requireNonNull(component, "component");
    if (state() != State.NEW) {
      throw new IllegalStateException(
          "cannot add " + component.name() + " to " + name() + ": runner is " + state());
    }
    components.add(component);
    return this;
  }

  /** Adds a resource (a client, a registry) that needs no start and is closed in reverse order. */
  public ServiceRunner addResource(String name, AutoCloseable resource) {
    Objects.requireNonNull(resource, "resource");
    return add(
        new AbstractLifecycle(name) {
          @Override
          protected void doStart() {}

          @Override
          protected void doStop() throws Exception {
            resource.close();
          }
        });
  }

  /** The components, in start order. */
  public synchronized List<Lifecycle> components() {
    return List.copyOf(components);
  }

  /**
   * Logs the service's effective configuration once (later calls are ignored), so an operator can
   * see what a replica really runs with.
   */
  public void logConfig(String renderedConfig) {
    if (configLogged.compareAndSet(false, true)) {
      log.info("{} effective configuration:\n{}", name(), renderedConfig.strip());
    }
  }

  /** Stops the runner when the JVM shuts down (SIGTERM from the kubelet). */
  public synchronized ServiceRunner installShutdownHook() {
    if (shutdownHook == null) {
      shutdownHook = new Thread(this::stop, name() + "-shutdown");
      Runtime.getRuntime().addShutdownHook(shutdownHook);
    }
    return this;
  }

  /** Blocks until the runner has stopped. */
  public void awaitStopped() throws InterruptedException {
    stopped.await();
  }

  /** Blocks until the runner has stopped or {@code timeout} passed; true when stopped. */
  public boolean awaitStopped(java.time.Duration timeout) throws InterruptedException {
    return stopped.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  protected void doStart() {
    List<Lifecycle> toStart;
    synchronized (this) {
      toStart = List.copyOf(components);
    }
    log.info("starting {} ({} components)", name(), toStart.size());
    for (Lifecycle component : toStart) {
      try {
        log.debug("starting {}", component.name());
        component.start();
        synchronized (this) {
          started.add(component);
        }
      } catch (RuntimeException e) {
        log.error(
            "{}: {} failed to start; stopping the {} started before it",
            name(),
            component.name(),
            started.size(),
            e);
        component.stop();
        stopStarted();
        String why =
            e instanceof LifecycleException
                ? e.getMessage()
                : "failed to start " + component.name() + ": " + e.getMessage();
        throw new LifecycleException(name() + ": " + why, e);
      }
    }
    log.info("{} started", name());
  }

  @Override
  protected void doStop() {
    log.info("stopping {}", name());
    stopStarted();
    synchronized (this) {
      Thread hook = shutdownHook;
      if (hook != null && Thread.currentThread() != hook) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException alreadyShuttingDown) {
          // the JVM is exiting; the hook is running or about to
        }
      }
    }
    log.info("{} stopped", name());
    stopped.countDown();
  }

  private void stopStarted() {
    List<Lifecycle> toStop;
    synchronized (this) {
      toStop = new ArrayList<>(started);
      started.clear();
    }
    for (int i = toStop.size() - 1; i >= 0; i--) {
      Lifecycle component = toStop.get(i);
      log.debug("stopping {}", component.name());
      component.stop();
    }
    stopped.countDown();
  }
}
