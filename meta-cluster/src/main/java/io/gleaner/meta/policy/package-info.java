/**
 * The GleanerPolicy as services use it: {@link io.gleaner.meta.policy.PolicySource} (the policy in
 * force and its changes), {@link io.gleaner.meta.policy.PolicyWatcher} (follows the object in the
 * metadata cluster, the one writer of its status) and {@link
 * io.gleaner.meta.policy.InMemoryPolicySource} (set by code).
 */
package io.gleaner.meta.policy;
