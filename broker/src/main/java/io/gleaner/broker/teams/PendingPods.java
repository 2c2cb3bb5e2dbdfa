package io.gleaner.broker.teams;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.gleaner.broker.dashboard.PodCounts;
import io.gleaner.meta.informer.Informers;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.kube.PodRequests;
import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata pods that wait for the virtual node: those bound to it that wait for room (phase
 * Pending or none yet, not being deleted, without a placement in the broker's ledger), and those
 * not bound yet that still carry the fair-admission gate {@value GleanerKeys#FAIR_SHARE_GATE} (a
 * team's backlog waits there, for its turn or for room); and, for the dashboard, all the node's
 * pods by class and phase. Two informers on the metadata cluster's pods: those of that node and
 * those bound to no node.
 */
public final class PendingPods implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PendingPods.class);

  private final SharedIndexInformer<Pod> informer;
  private final SharedIndexInformer<Pod> unbound;

  /** Starts watching the pods bound to {@code nodeName} and those bound to no node. */
  public PendingPods(KubernetesClient meta, String nodeName) {
    informer =
        Informers.keepRetrying(
            meta.pods().inAnyNamespace().withField("spec.nodeName", nodeName).runnableInformer(0),
            log,
            "pods on " + nodeName);
    unbound =
        Informers.keepRetrying(
            meta.pods().inAnyNamespace().withField("spec.nodeName", "").runnableInformer(0),
            log,
            "unbound pods");
    informer.start();
    unbound.start();
  }

  /**
   * The waiting pods, leaving out those whose UID is in {@code placed}: bound ones waiting for room
   * and gated ones waiting for admission.
   */
  public List<TeamShareBook.PodDemand> waiting(Set<String> placed) {
    List<TeamShareBook.PodDemand> out = new ArrayList<>();
    for (Pod p : unbound.getStore().list()) {
      if (gated(p) && waits(p, placed)) {
        try {
          out.add(
              new TeamShareBook.PodDemand(
                  p.getMetadata().getNamespace(), PodRequests.effective(p.getSpec())));
        } catch (RuntimeException e) {
          // requests that cannot be counted: fair admission releases the pod and it fails
        }
      }
    }
    for (Pod p : informer.getStore().list()) {
      if (p.getMetadata().getDeletionTimestamp() != null
          || (p.getStatus() != null
              && p.getStatus().getPhase() != null
              && !"Pending".equals(p.getStatus().getPhase()))
          || placed.contains(p.getMetadata().getUid())) {
        continue;
      }
      out.add(
          new TeamShareBook.PodDemand(
              p.getMetadata().getNamespace(), PodRequests.effective(p.getSpec())));
    }
    return out;
  }

  /**
   * The requests of the waiting near-line pods ({@code gleaner.io/class: near-line}), leaving out
   * those whose UID is in {@code placed}: the demand elastic members scale up for.
   */
  public List<Resources> nearLineWaiting(Set<String> placed) {
    List<Resources> out = new ArrayList<>();
    for (Pod p : informer.getStore().list()) {
      Map<String, String> labels = p.getMetadata().getLabels();
      if (labels != null
          && GleanerKeys.CLASS_NEAR_LINE.equals(labels.get(GleanerKeys.CLASS))
          && waits(p, placed)) {
        out.add(PodRequests.effective(p.getSpec()));
      }
    }
    return out;
  }

  private static boolean gated(Pod p) {
    return p.getSpec() != null
        && p.getSpec().getSchedulingGates() != null
        && p.getSpec().getSchedulingGates().stream()
            .anyMatch(g -> GleanerKeys.FAIR_SHARE_GATE.equals(g.getName()));
  }

  private static boolean waits(Pod p, Set<String> placed) {
    return p.getMetadata().getDeletionTimestamp() == null
        && (p.getStatus() == null
            || p.getStatus().getPhase() == null
            || "Pending".equals(p.getStatus().getPhase()))
        && !placed.contains(p.getMetadata().getUid());
  }

  /**
   * The pods bound to the virtual node by class ({@code gleaner.io/class}, offline without it) and
   * phase (Pending before the first status).
   */
  public PodCounts podCounts() {
    Map<String, Map<String, Long>> out = new TreeMap<>();
    for (Pod p : informer.getStore().list()) {
      Map<String, String> labels = p.getMetadata().getLabels();
      String cls = labels == null ? null : labels.get(GleanerKeys.CLASS);
      String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
      out.computeIfAbsent(cls == null ? GleanerKeys.CLASS_OFFLINE : cls, k -> new TreeMap<>())
          .merge(phase == null ? "Pending" : phase, 1L, Long::sum);
    }
    return new PodCounts(out);
  }

  @Override
  public void close() {
    informer.close();
    unbound.close();
  }
}
