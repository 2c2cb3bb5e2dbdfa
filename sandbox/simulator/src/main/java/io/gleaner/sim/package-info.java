/**
 * Simulated Kubernetes clusters for tests and the sandbox.
 *
 * <p>Entry points: {@link io.gleaner.sim.SimulatedFederation} (metadata cluster + members +
 * ZooKeeper), {@link io.gleaner.sim.SimulatedCluster} (one cluster: API server, scheduler, kubelet,
 * optional Volcano and co-location), {@link io.gleaner.sim.SimRuntime} (threads shared by all
 * clusters), {@link io.gleaner.sim.NodeShape} and {@link io.gleaner.sim.MemberSpec}. Engine
 * packages: {@code apiserver} (object store and HTTP API), {@code scheduler}, {@code kubelet},
 * {@code koordinator}, {@code load} (load curve, usage, online workload). See {@code
 * sandbox/simulator/README.md} for the behaviour and the {@code sim.gleaner.io/*} annotations.
 */
package io.gleaner.sim;
