package io.gleaner.charts;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.util.List;
import java.util.Map;

/**
 * Decides, as a CNI that enforces {@code networking.k8s.io/v1} NetworkPolicy does, whether a TCP
 * connection from one pod to a port of another is admitted by a set of policies (ingress only; the
 * chart restricts no egress). A pod selected by no policy with policy type Ingress admits
 * everything; a selected pod admits a connection that some rule of some selecting policy allows.
 * Peers with an {@code ipBlock} match only {@link Endpoint#external()} sources here.
 */
final class NetworkPolicies {

  /**
   * A pod (or, with {@code namespace == null}, an address outside the cluster) with its labels, its
   * namespace's labels and its named container ports.
   */
  record Endpoint(
      String namespace,
      Map<String, String> labels,
      Map<String, String> namespaceLabels,
      Map<String, Integer> namedPorts) {

    static Endpoint pod(String namespace, Map<String, String> labels) {
      return new Endpoint(
          namespace, labels, Map.of("kubernetes.io/metadata.name", namespace), Map.of());
    }

    static Endpoint external() {
      return new Endpoint(null, Map.of(), Map.of(), Map.of());
    }

    Endpoint withNamespaceLabels(Map<String, String> extra) {
      Map<String, String> all = new java.util.HashMap<>(namespaceLabels);
      all.putAll(extra);
      return new Endpoint(namespace, labels, Map.copyOf(all), namedPorts);
    }

    Endpoint withNamedPorts(Map<String, Integer> ports) {
      return new Endpoint(namespace, labels, namespaceLabels, Map.copyOf(ports));
    }
  }

  private final List<NetworkPolicy> policies;

  NetworkPolicies(List<NetworkPolicy> policies) {
    this.policies = List.copyOf(policies);
  }

  /** Whether {@code from} may open a TCP connection to {@code port} of {@code to}. */
  boolean allows(Endpoint from, Endpoint to, int port) {
    boolean isolated = false;
    for (NetworkPolicy p : policies) {
      if (!selects(p, to)) {
        continue;
      }
      isolated = true;
      List<NetworkPolicyIngressRule> rules = p.getSpec().getIngress();
      for (NetworkPolicyIngressRule rule :
          rules == null ? List.<NetworkPolicyIngressRule>of() : rules) {
        if (portMatches(rule.getPorts(), to, port) && peerMatches(rule.getFrom(), p, from)) {
          return true;
        }
      }
    }
    return !isolated;
  }

  private static boolean selects(NetworkPolicy p, Endpoint pod) {
    List<String> types = p.getSpec().getPolicyTypes();
    // without policyTypes, a policy is an ingress policy (and egress only if it has egress rules)
    boolean ingress = types == null || types.isEmpty() || types.contains("Ingress");
    return ingress
        && pod.namespace() != null
        && pod.namespace().equals(p.getMetadata().getNamespace())
        && matches(p.getSpec().getPodSelector(), pod.labels());
  }

  private static boolean portMatches(List<NetworkPolicyPort> ports, Endpoint to, int port) {
    if (ports == null || ports.isEmpty()) {
      return true;
    }
    for (NetworkPolicyPort p : ports) {
      String protocol = p.getProtocol() == null ? "TCP" : p.getProtocol();
      if (!protocol.equals("TCP")) {
        continue;
      }
      IntOrString value = p.getPort();
      if (value == null) {
        return true;
      }
      int first =
          value.getIntVal() != null
              ? value.getIntVal()
              : to.namedPorts().getOrDefault(value.getStrVal(), -1);
      int last = p.getEndPort() == null ? first : p.getEndPort();
      if (port >= first && port <= last) {
        return true;
      }
    }
    return false;
  }

  private static boolean peerMatches(
      List<NetworkPolicyPeer> peers, NetworkPolicy p, Endpoint from) {
    if (peers == null || peers.isEmpty()) {
      return true;
    }
    for (NetworkPolicyPeer peer : peers) {
      if (peer.getIpBlock() != null) {
        if (from.namespace() == null) {
          return true;
        }
        continue;
      }
      if (from.namespace() == null) {
        continue;
      }
      boolean namespaceOk =
          peer.getNamespaceSelector() == null
              ? from.namespace().equals(p.getMetadata().getNamespace())
              : matches(peer.getNamespaceSelector(), from.namespaceLabels());
      boolean podOk =
          peer.getPodSelector() == null || matches(peer.getPodSelector(), from.labels());
      if (namespaceOk && podOk) {
        return true;
      }
    }
    return false;
  }

  /** Label selector semantics; an empty selector selects everything. */
  static boolean matches(LabelSelector selector, Map<String, String> labels) {
    if (selector == null) {
      return true;
    }
    if (selector.getMatchLabels() != null) {
      for (Map.Entry<String, String> e : selector.getMatchLabels().entrySet()) {
        if (!e.getValue().equals(labels.get(e.getKey()))) {
          return false;
        }
      }
    }
    if (selector.getMatchExpressions() != null) {
      for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
        String value = labels.get(r.getKey());
        boolean ok =
            switch (r.getOperator()) {
              case "In" -> value != null && r.getValues().contains(value);
              case "NotIn" -> value == null || !r.getValues().contains(value);
              case "Exists" -> value != null;
              case "DoesNotExist" -> value == null;
              default -> throw new IllegalArgumentException("operator " + r.getOperator());
            };
        if (!ok) {
          return false;
        }
      }
    }
    return true;
  }
}
