/**
 * The member-cluster registry: one resilient client per {@code MemberCluster}.
 *
 * <p>{@link io.gleaner.meta.registry.MemberRegistry} watches MemberClusters in the metadata
 * cluster, reads each kubeconfig Secret, and keeps a {@link io.gleaner.meta.registry.MemberHandle}
 * per usable member. Every request to a member goes through {@link
 * io.gleaner.meta.registry.MemberClient#call}: Retry, RateLimiter and CircuitBreaker named {@code
 * member-<cluster>}, bound to Micrometer. A member's informers are registered on its handle's
 * {@link io.gleaner.meta.registry.MemberInformers} so that disabling, deleting or re-keying the
 * member stops them before its client closes. Reachability is written back to the MemberCluster
 * status.
 */
package io.gleaner.meta.registry;
