package io.gleaner.meta.policy;

import io.gleaner.meta.crd.EffectivePolicy;
import java.util.function.Consumer;

/**
 * Where a service takes its {@link EffectivePolicy} from: the policy in force now, and a call each
 * time it changes. {@link PolicyWatcher} follows the GleanerPolicy object in the metadata cluster;
 * {@link InMemoryPolicySource} holds one set by code (tests, the sandbox, benches).
 *
 * <p>A service reads {@link #current()} when it is wired and applies every change it is told of,
 * without a restart. Listeners run on the source's thread: they must be quick and must not block.
 */
public interface PolicySource {
  /** The policy in force now; never null. */
  EffectivePolicy current();

  /** Called with the new effective policy each time it changes (not with the current one). */
  void addListener(Consumer<EffectivePolicy> listener);

  /** A source that always answers {@code policy}. */
  static PolicySource fixed(EffectivePolicy policy) {
    return new InMemoryPolicySource(policy);
  }

  /** The built-in defaults, never changing. */
  static PolicySource defaults() {
    return fixed(EffectivePolicy.DEFAULTS);
  }
}
