package io.gleaner.meta.policy;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.gleaner.meta.crd.Conditions;
import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.crd.FieldError;
import io.gleaner.meta.crd.GleanerPolicy;
import io.gleaner.meta.crd.GleanerPolicyStatus;
import io.gleaner.meta.informer.Informers;
import io.gleaner.meta.registry.MemberErrors;
import io.gleaner.meta.service.Health;
import io.gleaner.meta.service.HealthCheck;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the installation's {@link GleanerPolicy} (by default the one named {@value
 * GleanerPolicy#DEFAULT_NAME}) and offers its {@link EffectivePolicy} as a {@link PolicySource}.
 *
 * <ul>
 *   <li>No policy object: {@link EffectivePolicy#DEFAULTS}.
 *   <li>A valid policy: its effective values; listeners are told when they change.
 *   <li>An invalid policy: the previous effective policy stays.
 * </ul>
 *
 * <p>Before a service acts it calls {@link #awaitFirstVerdict}: it returns once the informer has
 * listed the policies and the first verdict (the object, or its absence) is in force. A watcher
 * that cannot read the object within the bound leaves the defaults in force, says so in the log and
 * in {@link #readiness()}, and keeps trying; when it succeeds, listeners get the policy.
 *
 * <p>Only a watcher with {@link Role#STATUS_WRITER} writes the object's status (one writer per
 * installation, the broker): {@code observedGeneration}, {@code Valid} (every bad field named, e.g.
 * {@code spec.reserveMargins.IDLE: must be between 0 and 1, got 1.5}) and {@code Applied} (whether
 * this generation is in force); see {@link PolicyStatuses}. Status is written only when it changes.
 *
 * <p>Lifecycle: latent, {@link #start()} once, {@link #stop()}. Listeners run on the watcher's own
 * thread and must not block.
 */
public final class PolicyWatcher implements PolicySource, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PolicyWatcher.class);

  /** Whether this watcher writes the policy's status. */
  public enum Role {
    /** Writes {@code gleanerpolicies/status}; one per installation. */
    STATUS_WRITER,
    /** Only reads. */
    READER
  }

  private enum State {
    LATENT,
    STARTED,
    STOPPED
  }

  private final KubernetesClient meta;
  private final String name;
  private final Clock clock;
  private final Role role;
  private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
  private final AtomicReference<EffectivePolicy> current =
      new AtomicReference<>(EffectivePolicy.DEFAULTS);
  private final List<Consumer<EffectivePolicy>> listeners = new CopyOnWriteArrayList<>();
  private final CountDownLatch firstVerdict = new CountDownLatch(1);
  private final ExecutorService worker =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "gleaner-policy-watcher");
            t.setDaemon(true);
            return t;
          });
  private SharedIndexInformer<GleanerPolicy> informer;

  /** What is in force, for readiness; written by the worker only. */
  private volatile String inForce = "built-in defaults (GleanerPolicy not read yet)";

  /** The generation in force, null for the defaults; worker only. */
  private Long inForceGeneration;

  /** The resourceVersion last applied, so a repeated delivery changes nothing; worker only. */
  private String lastResourceVersion;

  /** Follows the policy named {@value GleanerPolicy#DEFAULT_NAME}, reading only. */
  public PolicyWatcher(KubernetesClient meta, Clock clock) {
    this(meta, GleanerPolicy.DEFAULT_NAME, clock, Role.READER);
  }

  public PolicyWatcher(KubernetesClient meta, String name, Clock clock, Role role) {
    this.meta = Objects.requireNonNull(meta, "meta");
    this.name = Objects.requireNonNull(name, "name");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.role = Objects.requireNonNull(role, "role");
  }

  @Override
  public EffectivePolicy current() {
    return current.get();
  }

  @Override
  public void addListener(Consumer<EffectivePolicy> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * Starts following the policy; does not wait (see {@link #awaitFirstVerdict}).
   *
   * @throws IllegalStateException when called twice or after {@link #stop()}
   */
  public void start() {
    if (!state.compareAndSet(State.LATENT, State.STARTED)) {
      throw new IllegalStateException("PolicyWatcher already " + state.get().name().toLowerCase());
    }
    informer = meta.resources(GleanerPolicy.class).withName(name).runnableInformer(0);
    informer.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(GleanerPolicy obj) {
            submit(() -> apply(obj));
          }

          @Override
          public void onUpdate(GleanerPolicy oldObj, GleanerPolicy newObj) {
            submit(() -> apply(newObj));
          }

          @Override
          public void onDelete(GleanerPolicy obj, boolean deletedFinalStateUnknown) {
            submit(() -> apply(null));
          }
        });
    // Keep trying whatever fails (CRD not installed yet, RBAC, API server away): the service runs
    // on defaults meanwhile and is told of the policy once it can be read.
    Informers.keepRetrying(informer, log, "GleanerPolicy " + name);
    informer
        .start()
        .whenComplete(
            (ok, err) -> {
              if (err == null) {
                submit(this::applyListed);
              }
            });
  }

  /**
   * Waits until the first verdict is in force: the informer has listed the policies and the object
   * (or its absence) is applied. On timeout the built-in defaults stay in force until the policy
   * can be read; this is logged and shown by {@link #readiness()}.
   *
   * @return whether the verdict came within {@code bound}
   */
  public boolean awaitFirstVerdict(Duration bound) throws InterruptedException {
    if (firstVerdict.await(bound.toMillis(), TimeUnit.MILLISECONDS)) {
      return true;
    }
    log.warn(
        "GleanerPolicy {} not read within {}: starting on the built-in defaults; the policy is"
            + " applied as soon as it can be read",
        name,
        bound);
    return false;
  }

  /** Whether the first verdict is in force. */
  public boolean hasFirstVerdict() {
    return firstVerdict.getCount() == 0;
  }

  /**
   * Readiness check {@code gleaner-policy}: always UP (defaults are a safe policy), its detail says
   * what is in force, e.g. {@code GleanerPolicy default generation 3 in force} or {@code built-in
   * defaults (GleanerPolicy not read yet)}.
   */
  public HealthCheck readiness() {
    return HealthCheck.of("gleaner-policy", () -> Health.up(inForce));
  }

  /** Stops following; {@link #current()} keeps its last value. Idempotent. */
  public void stop() {
    if (state.getAndSet(State.STOPPED) == State.STOPPED) {
      return;
    }
    if (informer != null) {
      informer.stop();
    }
    worker.shutdown();
    try {
      worker.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
  }

  private void submit(Runnable task) {
    if (state.get() == State.STARTED) {
      try {
        worker.execute(task);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // stopping
      }
    }
  }

  /** After the initial list: the object as listed, or its absence, is the first verdict. */
  private void applyListed() {
    GleanerPolicy listed =
        informer.getStore().list().stream()
            .filter(p -> name.equals(p.getMetadata().getName()))
            .findFirst()
            .orElse(null);
    apply(listed);
    if (firstVerdict.getCount() > 0) {
      firstVerdict.countDown();
      log.info("GleanerPolicy {} read: {}", name, inForce);
    }
  }

  private void apply(GleanerPolicy policy) {
    try {
      if (policy == null) {
        if (inForceGeneration != null || lastResourceVersion != null || !hasFirstVerdict()) {
          log.info("GleanerPolicy {} absent: using the built-in defaults", name);
        }
        lastResourceVersion = null;
        inForceGeneration = null;
        inForce = "built-in defaults (no GleanerPolicy " + name + ")";
        publish(EffectivePolicy.DEFAULTS);
        return;
      }
      String version = policy.getMetadata().getResourceVersion();
      if (version != null && version.equals(lastResourceVersion)) {
        return;
      }
      lastResourceVersion = version;
      Long generation = policy.getMetadata().getGeneration();
      List<FieldError> errors = policy.validate();
      if (errors.isEmpty()) {
        inForceGeneration = generation;
        inForce = "GleanerPolicy " + name + " generation " + generation + " in force";
        publish(policy.effective());
      } else {
        log.warn("GleanerPolicy {} is invalid, keeping the previous policy: {}", name, errors);
      }
      if (role == Role.STATUS_WRITER) {
        writeStatus(policy);
      }
    } catch (RuntimeException e) {
      log.error("applying GleanerPolicy {} failed", name, e);
    }
  }

  private void publish(EffectivePolicy next) {
    EffectivePolicy previous = current.getAndSet(next);
    if (!next.equals(previous)) {
      log.info("GleanerPolicy {} in force: {}", name, next);
      for (Consumer<EffectivePolicy> l : listeners) {
        try {
          l.accept(next);
        } catch (RuntimeException e) {
          log.error("policy listener {} failed", l, e);
        }
      }
    }
  }

  private void writeStatus(GleanerPolicy policy) {
    GleanerPolicyStatus desired =
        PolicyStatuses.desired(policy, inForceGeneration, clock.instant());
    GleanerPolicyStatus existing = policy.getStatus();
    List<Condition> existingConditions = existing == null ? null : existing.getConditions();
    if (existing != null
        && Objects.equals(existing.getObservedGeneration(), desired.getObservedGeneration())
        && Conditions.sameState(existingConditions, desired.getConditions())) {
      return;
    }
    try {
      meta.resources(GleanerPolicy.class)
          .withName(name)
          .editStatus(
              p -> {
                GleanerPolicyStatus s =
                    p.getStatus() == null ? new GleanerPolicyStatus() : p.getStatus();
                s.setConditions(Conditions.setAll(s.getConditions(), desired.getConditions()));
                s.setObservedGeneration(desired.getObservedGeneration());
                p.setStatus(s);
                return p;
              });
    } catch (KubernetesClientException e) {
      log.warn("writing status of GleanerPolicy {} failed: {}", name, MemberErrors.describe(e));
    }
  }
}
