package io.gleaner.sandbox.invariants;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.Placement;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.resources.Resources;
import io.gleaner.sim.scheduler.NodeInfo;
import io.gleaner.sim.scheduler.PodInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Takes an {@link FederationSnapshot} through the clusters' APIs and the broker's {@code
 * ListPlacements}, as any client would. Pod requests and node room are computed by the simulator's
 * scheduler model (the oracle), not by Gleaner's own rules.
 */
public final class FederationObserver {
  private final KubernetesClient meta;
  private final Supplier<Map<String, KubernetesClient>> members;
  private final BrokerApiClient broker;
  private final String virtualNode;
  private final String instance;

  public FederationObserver(
      KubernetesClient meta,
      Supplier<Map<String, KubernetesClient>> members,
      BrokerApiClient broker,
      String virtualNode,
      String instance) {
    this.meta = meta;
    this.members = members;
    this.broker = broker;
    this.virtualNode = virtualNode;
    this.instance = instance;
  }

  /** One look; empty when the broker cannot answer (nothing can be concluded then). */
  public Optional<FederationSnapshot> observe() {
    Optional<Map<String, Placement>> placements = broker.placementsByUid("");
    if (placements.isEmpty()) {
      return Optional.empty();
    }
    Map<String, FederationSnapshot.MetaPod> metaPods = new HashMap<>();
    for (Pod p : meta.pods().inAnyNamespace().list().getItems()) {
      if (p.getSpec() != null && virtualNode.equals(p.getSpec().getNodeName())) {
        String uid = p.getMetadata().getUid();
        metaPods.put(
            uid,
            new FederationSnapshot.MetaPod(
                uid,
                p.getMetadata().getNamespace() + "/" + p.getMetadata().getName(),
                p.getStatus() == null ? "" : String.valueOf(p.getStatus().getPhase())));
      }
    }
    List<FederationSnapshot.MemberPod> memberPods = new ArrayList<>();
    Map<String, FederationSnapshot.Node> nodes = new HashMap<>();
    members
        .get()
        .forEach(
            (cluster, client) -> {
              Map<String, Resources> occupied = new HashMap<>();
              Map<String, java.util.Set<String>> gleanerOn = new HashMap<>();
              for (Pod p : client.pods().inAnyNamespace().list().getItems()) {
                PodInfo info = PodInfo.of(p);
                Map<String, String> labels = p.getMetadata().getLabels();
                String metaUid = null;
                if (labels != null
                    && "true".equals(labels.get(GleanerKeys.MANAGED))
                    && instance.equals(labels.get(GleanerKeys.INSTANCE))) {
                  metaUid = labels.get(GleanerKeys.META_UID);
                  memberPods.add(
                      new FederationSnapshot.MemberPod(
                          cluster,
                          info.key(),
                          metaUid,
                          info.nodeName() == null ? null : cluster + "/" + info.nodeName(),
                          info.phase(),
                          p.getMetadata().getDeletionTimestamp() != null));
                }
                if (info.occupiesNode()) {
                  occupied.merge(info.nodeName(), info.requests(), Resources::plus);
                  if (metaUid != null) {
                    gleanerOn.computeIfAbsent(info.nodeName(), k -> new HashSet<>()).add(metaUid);
                  }
                }
              }
              for (Node n : client.nodes().list().getItems()) {
                NodeInfo info = new NodeInfo(n);
                String name = info.name();
                nodes.put(
                    cluster + "/" + name,
                    new FederationSnapshot.Node(
                        info.allocatable(),
                        occupied.getOrDefault(name, Resources.ZERO),
                        gleanerOn.getOrDefault(name, java.util.Set.of())));
              }
            });
    Map<String, FederationSnapshot.Reservation> reservations = new HashMap<>();
    placements
        .get()
        .forEach(
            (uid, p) ->
                reservations.put(
                    uid,
                    new FederationSnapshot.Reservation(
                        uid,
                        p.getNode().getCluster() + "/" + p.getNode().getNode(),
                        Resources.parse(p.getReservedMap()),
                        p.getConfirmed())));
    return Optional.of(new FederationSnapshot(metaPods, memberPods, nodes, reservations));
  }
}
