package io.gleaner.meta.registry;

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
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the installation's {@link GleanerPolicy} (by default the one named {@value
 * GleanerPolicy#DEFAULT_NAME}) and offers its {@link EffectivePolicy}.
 *
 * <ul>
 *   <li>No policy object: {@link EffectivePolicy#DEFAULTS}.
 *   <li>A valid policy: its effective values; listeners are told when they change.
 *   <li>An invalid policy: the previous effective policy stays, and the object's status gets {@code
 *       Valid=False} with every bad field named ({@code spec.reserveMargins.IDLE: must be between 0
 *       and 1, got 1.5}).
 * </ul>
 *
 * Status is written only when the verdict or generation changes. Lifecycle: latent, {@link
 * #start()} once, {@link #stop()}. Listeners run on the watcher's own thread and must not block.
 */
public final class PolicyWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PolicyWatcher.class);

  private enum State {
    LATENT,
    STARTED,
    STOPPED
  }

  private final KubernetesClient meta;
  private final String name;
  private final Clock clock;
  private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
  private final AtomicReference<EffectivePolicy> current =
      new AtomicReference<>(EffectivePolicy.DEFAULTS);
  private final List<Consumer<EffectivePolicy>> listeners = new CopyOnWriteArrayList<>();
  private final ExecutorService worker =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "gleaner-policy-watcher");
            t.setDaemon(true);
            return t;
          });
  private SharedIndexInformer<GleanerPolicy> informer;

  /** Follows the policy named {@value GleanerPolicy#DEFAULT_NAME}. */
  public PolicyWatcher(KubernetesClient meta, Clock clock) {
    this(meta, GleanerPolicy.DEFAULT_NAME, clock);
  }

  public PolicyWatcher(KubernetesClient meta, String name, Clock clock) {
    this.meta = Objects.requireNonNull(meta, "meta");
    this.name = Objects.requireNonNull(name, "name");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** The policy in force now; never null. */
  public EffectivePolicy current() {
    return current.get();
  }

  /** Called with the new effective policy each time it changes. */
  public void addListener(Consumer<EffectivePolicy> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * Starts following the policy.
   *
   * @throws IllegalStateException when called twice or after {@link #stop()}
   */
  public void start() {
    if (!state.compareAndSet(State.LATENT, State.STARTED)) {
      throw new IllegalStateException("PolicyWatcher already " + state.get().name().toLowerCase());
    }
    informer =
        meta.resources(GleanerPolicy.class)
            .withName(name)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(GleanerPolicy obj) {
                    submit(obj);
                  }

                  @Override
                  public void onUpdate(GleanerPolicy oldObj, GleanerPolicy newObj) {
                    submit(newObj);
                  }

                  @Override
                  public void onDelete(GleanerPolicy obj, boolean deletedFinalStateUnknown) {
                    submit(null);
                  }
                },
                0);
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

  private void submit(GleanerPolicy policy) {
    if (state.get() == State.STARTED) {
      worker.execute(() -> apply(policy));
    }
  }

  private void apply(GleanerPolicy policy) {
    try {
      if (policy == null) {
        log.info("GleanerPolicy {} absent: using the built-in defaults", name);
        publish(EffectivePolicy.DEFAULTS);
        return;
      }
      List<FieldError> errors = policy.validate();
      writeStatus(policy);
      if (errors.isEmpty()) {
        publish(policy.effective());
      } else {
        log.warn("GleanerPolicy {} is invalid, keeping the previous policy: {}", name, errors);
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
    GleanerPolicyStatus desired = policy.statusFor(clock.instant());
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
