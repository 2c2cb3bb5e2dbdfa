package io.gleaner.descheduler.plan;

import io.gleaner.meta.kube.KubeNodeSelectorTerm;
import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.kube.KubeToleration;
import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Small builders for planner inputs. */
final class Fixtures {
  static final Instant NOW = Instant.parse("2025-01-01T12:00:00Z");

  private Fixtures() {}

  static Resources req(String cpu, String mem) {
    return Resources.of("cpu", cpu, "memory", mem, "pods", "1");
  }

  static Resources node(String cpu, String mem) {
    return Resources.of("cpu", cpu, "memory", mem, "pods", "110");
  }

  static NodePod gleaner(String name, String cpu, String mem, PodClass c, int ageSeconds) {
    return new NodePod(
        "gl",
        name,
        "uid-" + name,
        req(cpu, mem),
        true,
        c,
        Pool.IDLE,
        -10,
        NOW.minusSeconds(ageSeconds),
        30,
        Optional.empty(),
        false,
        "meta-" + name);
  }

  static NodePod offline(String name, String cpu, int ageSeconds) {
    return gleaner(name, cpu, "1Gi", PodClass.OFFLINE, ageSeconds);
  }

  static NodePod nearLine(String name, String cpu, int ageSeconds) {
    return gleaner(name, cpu, "1Gi", PodClass.NEAR_LINE, ageSeconds);
  }

  static NodePod inGang(NodePod p, String gang, int minMember, int members) {
    return new NodePod(
        p.namespace(),
        p.name(),
        p.uid(),
        p.requests(),
        true,
        p.podClass(),
        p.source(),
        p.priority(),
        p.startTime(),
        p.gracePeriodSeconds(),
        Optional.of(new Gang(gang, minMember, members)),
        false,
        p.metaUid(),
        p.metaNamespace());
  }

  static NodePod online(String name, String cpu, int priority) {
    return new NodePod(
        "web",
        name,
        "uid-" + name,
        req(cpu, "1Gi"),
        false,
        PodClass.OFFLINE,
        Pool.UNKNOWN,
        priority,
        NOW.minusSeconds(3600),
        30,
        Optional.empty(),
        false,
        "");
  }

  static LentNode lent(String name, String cpu, NodePod... pods) {
    return new LentNode(
        name,
        Pool.IDLE,
        node(cpu, "64Gi"),
        Map.of("zone", "a", "kubernetes.io/hostname", name),
        List.of(),
        false,
        Arrays.asList(pods));
  }

  static LentNode withLabels(LentNode n, Map<String, String> labels) {
    return new LentNode(
        n.name(), n.pool(), n.allocatable(), labels, n.taints(), n.unschedulable(), n.pods());
  }

  static LentNode withTaints(LentNode n, KubeTaint... taints) {
    return new LentNode(
        n.name(),
        n.pool(),
        n.allocatable(),
        n.labels(),
        List.of(taints),
        n.unschedulable(),
        n.pods());
  }

  static PendingPod pending(String name, String cpu) {
    return pending(name, cpu, 1000);
  }

  static PendingPod pending(String name, String cpu, int priority) {
    return new PendingPod(
        "web",
        name,
        "uid-" + name,
        req(cpu, "1Gi"),
        Map.of(),
        List.of(),
        List.of(),
        priority,
        PreemptionPolicy.PREEMPT_LOWER_PRIORITY,
        Optional.empty(),
        null,
        NOW.minusMillis(100),
        Set.of());
  }

  static PendingPod nominated(PendingPod p, String node, Instant since) {
    return new PendingPod(
        p.namespace(),
        p.name(),
        p.uid(),
        p.requests(),
        p.nodeSelector(),
        p.requiredAffinity(),
        p.tolerations(),
        p.priority(),
        p.preemptionPolicy(),
        Optional.of(node),
        since,
        p.unschedulableSince(),
        p.insufficient());
  }

  static PendingPod withPolicy(PendingPod p, PreemptionPolicy policy) {
    return new PendingPod(
        p.namespace(),
        p.name(),
        p.uid(),
        p.requests(),
        p.nodeSelector(),
        p.requiredAffinity(),
        p.tolerations(),
        p.priority(),
        policy,
        p.nominatedNode(),
        p.nominatedSince(),
        p.unschedulableSince(),
        p.insufficient());
  }

  static PendingPod withSelector(PendingPod p, Map<String, String> selector) {
    return new PendingPod(
        p.namespace(),
        p.name(),
        p.uid(),
        p.requests(),
        selector,
        p.requiredAffinity(),
        p.tolerations(),
        p.priority(),
        p.preemptionPolicy(),
        p.nominatedNode(),
        p.nominatedSince(),
        p.unschedulableSince(),
        p.insufficient());
  }

  static PendingPod withAffinity(PendingPod p, KubeNodeSelectorTerm... terms) {
    return new PendingPod(
        p.namespace(),
        p.name(),
        p.uid(),
        p.requests(),
        p.nodeSelector(),
        List.of(terms),
        p.tolerations(),
        p.priority(),
        p.preemptionPolicy(),
        p.nominatedNode(),
        p.nominatedSince(),
        p.unschedulableSince(),
        p.insufficient());
  }

  static PendingPod withTolerations(PendingPod p, KubeToleration... tolerations) {
    return new PendingPod(
        p.namespace(),
        p.name(),
        p.uid(),
        p.requests(),
        p.nodeSelector(),
        p.requiredAffinity(),
        List.of(tolerations),
        p.priority(),
        p.preemptionPolicy(),
        p.nominatedNode(),
        p.nominatedSince(),
        p.unschedulableSince(),
        p.insufficient());
  }

  static PlanInput input(List<LentNode> nodes, PendingPod... pods) {
    List<Demand> demands = new ArrayList<>();
    for (PendingPod p : pods) {
      demands.add(Demand.Pods.single(p));
    }
    return new PlanInput("c1", true, nodes, demands, NOW);
  }

  static List<String> victimNames(Plan plan) {
    return plan.reclaims().stream()
        .flatMap(r -> r.victims().stream())
        .map(v -> v.pod().name())
        .sorted()
        .toList();
  }
}
