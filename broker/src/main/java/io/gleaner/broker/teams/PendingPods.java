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
 * The metadata pods that wait for the virtual node, by one rule: a pod waits when it is not being
 * deleted, not finished (phase Pending, or none yet) and not placed in the broker's ledger, and
 * either is bound to the virtual node (it waits for room) or is bound to no node and still carries
 * the fair-admission gate {@value GleanerKeys#FAIR_SHARE_GATE} (a team's backlog waits there, for
 * its turn or for room). Each team's pending pods and fair share (metrics, {@code gleaner
 * capacity}, the dashboard's teams) and the dashboard's pods by class count the same pods, from the
 * same pass. Two informers on the metadata cluster's pods: those of that node and those bound to no
 * node.
 */
public final class PendingPods implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PendingPods.class);

  /**
   * The bucket of {@link #podCounts()} of the pods that wait for the virtual node (the rule above);
   * the node's other pods count by phase, so {@code Pending} there is a pod placed on a member and
   * not running yet (or one being deleted).
   */
  public static final String WAITING = "Waiting";

  private final SharedIndexInformer<Pod> informer;
  private final SharedIndexInformer<Pod> unbound;
  private volatile PodCounts lastCounts;

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
   * and gated ones waiting for admission. The same pass counts the pods for {@link #podCounts()}.
   */
  public List<TeamShareBook.PodDemand> waiting(Set<String> placed) {
    List<TeamShareBook.PodDemand> out = new ArrayList<>();
    Map<String, Map<String, Long>> counts = new TreeMap<>();
    for (Pod p : unbound.getStore().list()) {
      if (gated(p) && waits(p, placed)) {
        try {
          out.add(
              new TeamShareBook.PodDemand(
                  p.getMetadata().getNamespace(), PodRequests.effective(p.getSpec())));
          count(counts, p, WAITING);
        } catch (RuntimeException e) {
          // requests that cannot be counted: fair admission releases the pod and it fails
        }
      }
    }
    for (Pod p : informer.getStore().list()) {
      if (!waits(p, placed)) {
        String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
        count(counts, p, phase == null ? "Pending" : phase);
        continue;
      }
      out.add(
          new TeamShareBook.PodDemand(
              p.getMetadata().getNamespace(), PodRequests.effective(p.getSpec())));
      count(counts, p, WAITING);
    }
    lastCounts = new PodCounts(counts);
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
   * The pods of the virtual node by class ({@code gleaner.io/class}, offline without it): those
   * that wait for it ({@link #WAITING}, gated ones included: the pods the teams' pending pods
   * count), the others bound to it by phase (Pending before the first status), as of the last
   * {@link #waiting} pass (every few seconds in the broker); before the first, as if nothing were
   * placed.
   */
  public PodCounts podCounts() {
    PodCounts counts = lastCounts;
    if (counts == null) {
      waiting(Set.of());
      counts = lastCounts;
    }
    return counts;
  }

  private static void count(Map<String, Map<String, Long>> counts, Pod p, String bucket) {
    Map<String, String> labels = p.getMetadata().getLabels();
    String cls = labels == null ? null : labels.get(GleanerKeys.CLASS);
    counts
        .computeIfAbsent(cls == null ? GleanerKeys.CLASS_OFFLINE : cls, k -> new TreeMap<>())
        .merge(bucket, 1L, Long::sum);
  }

  @Override
  public void close() {
    informer.close();
    unbound.close();
  }
}
