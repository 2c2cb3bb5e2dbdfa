package io.gleaner.meta.policy;

import io.gleaner.meta.crd.EffectivePolicy;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A {@link PolicySource} held in memory: {@link #set} replaces the policy and tells the listeners
 * on the caller's thread. For tests, the sandbox and benches.
 */
public final class InMemoryPolicySource implements PolicySource {
  private final AtomicReference<EffectivePolicy> current;
  private final List<Consumer<EffectivePolicy>> listeners = new CopyOnWriteArrayList<>();

  public InMemoryPolicySource(EffectivePolicy initial) {
    this.current = new AtomicReference<>(Objects.requireNonNull(initial, "initial"));
  }

  @Override
  public EffectivePolicy current() {
    return current.get();
  }

  @Override
  public void addListener(Consumer<EffectivePolicy> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** Puts {@code next} in force; listeners are called when it differs from the previous one. */
  public void set(EffectivePolicy next) {
    EffectivePolicy previous = current.getAndSet(Objects.requireNonNull(next, "next"));
    if (!next.equals(previous)) {
      listeners.forEach(l -> l.accept(next));
    }
  }
}
