package io.gleaner.api.auth;

import io.gleaner.api.v1.BrokerGrpc;
import io.gleaner.api.v1.ReclaimHooksGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which identities may call each method of a gRPC service: the authorization table, checked by
 * {@link CallerAuthorizer}. Every method of the service must be listed; a method added to the proto
 * without an entry stops the server at start instead of being open or closed by accident.
 */
public final class MethodAccess {
  private final Map<String, Set<String>> allowed;

  private MethodAccess(Map<String, Set<String>> allowed) {
    this.allowed = Map.copyOf(allowed);
  }

  /**
   * {@code gleaner.v1.Broker}: the idle-detector reports offers, the virtual-kubelet places,
   * confirms and releases, the descheduler withdraws; everything that only reads is open to every
   * Gleaner service and to {@link Identities#READER}.
   */
  public static MethodAccess broker() {
    Set<String> readers =
        Set.of(
            Identities.READER,
            Identities.IDLE_DETECTOR,
            Identities.VIRTUAL_KUBELET,
            Identities.DESCHEDULER);
    Set<String> vk = Set.of(Identities.VIRTUAL_KUBELET);
    Map<MethodDescriptor<?, ?>, Set<String>> t = new LinkedHashMap<>();
    t.put(BrokerGrpc.getReportOffersMethod(), Set.of(Identities.IDLE_DETECTOR));
    t.put(BrokerGrpc.getWithdrawMethod(), Set.of(Identities.DESCHEDULER));
    t.put(BrokerGrpc.getPlaceMethod(), vk);
    t.put(BrokerGrpc.getPlaceGangMethod(), vk);
    t.put(BrokerGrpc.getConfirmMethod(), vk);
    t.put(BrokerGrpc.getReleaseMethod(), vk);
    t.put(
        BrokerGrpc.getListPlacementsMethod(),
        Set.of(Identities.VIRTUAL_KUBELET, Identities.READER));
    t.put(BrokerGrpc.getGetCapacityMethod(), readers);
    t.put(BrokerGrpc.getWatchCapacityMethod(), readers);
    t.put(BrokerGrpc.getEstimateMethod(), readers);
    t.put(BrokerGrpc.getWatchReclaimsMethod(), readers);
    return of(BrokerGrpc.getServiceDescriptor(), t);
  }

  /** {@code gleaner.v1.ReclaimHooks}: {@code Watch} by the configured subscribers. */
  public static MethodAccess reclaimHooks(Collection<String> subscribers) {
    return of(
        ReclaimHooksGrpc.getServiceDescriptor(),
        Map.of(ReclaimHooksGrpc.getWatchMethod(), Set.copyOf(subscribers)));
  }

  /**
   * A table for {@code service}.
   *
   * @throws IllegalArgumentException when a method of the service has no entry
   */
  public static MethodAccess of(
      ServiceDescriptor service, Map<MethodDescriptor<?, ?>, Set<String>> table) {
    Map<String, Set<String>> byName = new LinkedHashMap<>();
    table.forEach((m, ids) -> byName.put(m.getFullMethodName(), Set.copyOf(ids)));
    List<String> missing =
        service.getMethods().stream()
            .map(MethodDescriptor::getFullMethodName)
            .filter(n -> !byName.containsKey(n))
            .toList();
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException("no authorization entry for " + missing);
    }
    return new MethodAccess(byName);
  }

  /** Whether {@code identity} may call {@code fullMethodName}; unknown methods: nobody. */
  public boolean allows(String identity, String fullMethodName) {
    Set<String> ids = allowed.get(fullMethodName);
    return ids != null && ids.contains(identity);
  }

  /** Who may call {@code fullMethodName}, sorted (empty for an unknown method). */
  public Set<String> callers(String fullMethodName) {
    return new TreeSet<>(allowed.getOrDefault(fullMethodName, Set.of()));
  }

  /** The table, by full method name. */
  public Map<String, Set<String>> table() {
    return allowed;
  }
}
