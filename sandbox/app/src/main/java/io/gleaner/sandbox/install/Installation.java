package io.gleaner.sandbox.install;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What names one installation of Gleaner, in its metadata cluster and in the members it shares with
 * others: the two charts' releases and their namespace, the {@code instance} both charts stamp, the
 * ZooKeeper chroot ({@code zookeeper.namespace}) and the virtual node.
 *
 * @param instance the charts' {@code instance} value ({@code gleaner.io/instance})
 * @param namespace the namespace of both releases: the services and the member Secrets in the
 *     metadata cluster, the member chart's ServiceAccount in every member
 * @param release the {@code gleaner} chart's release in the metadata cluster
 * @param memberRelease the {@code gleaner-member} chart's release in every member
 * @param zkNamespace the ZooKeeper chroot the services keep their state under
 * @param virtualNode the virtual node's name ({@code virtualKubelet.nodeName})
 * @param memberValues the member chart's values besides {@code instance}
 */
public record Installation(
    String instance,
    String namespace,
    String release,
    String memberRelease,
    String zkNamespace,
    String virtualNode,
    Map<String, Object> memberValues) {

  /** The one installation the README's "Deploying" commands make, as the sandbox runs it. */
  public static final Installation DEFAULT =
      new Installation(
          "gleaner", "gleaner-system", "gleaner", "gleaner-member", "gleaner", "gleaner", Map.of());

  public Installation {
    Objects.requireNonNull(instance, "instance");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(release, "release");
    Objects.requireNonNull(memberRelease, "memberRelease");
    Objects.requireNonNull(zkNamespace, "zkNamespace");
    Objects.requireNonNull(virtualNode, "virtualNode");
    memberValues = Map.copyOf(memberValues);
  }

  /**
   * A further installation beside {@link #DEFAULT} on the same members: {@code instance} names its
   * releases ({@code <instance>}, {@code gleaner-member-<instance>}), namespace ({@code
   * <instance>-system}), chroot and virtual node. Its member release leaves out the
   * PriorityClasses, which have fixed names and which the first installation's release made (Helm
   * refuses to take over another release's objects).
   */
  public static Installation beside(String instance) {
    return new Installation(
        instance,
        instance + "-system",
        instance,
        "gleaner-member-" + instance,
        instance,
        instance,
        Map.of("priorityClasses", Map.of("create", false)));
  }

  /** The member chart's values: {@code instance} and {@link #memberValues()}. */
  public Map<String, Object> memberChartValues() {
    Map<String, Object> values = new LinkedHashMap<>(memberValues);
    values.put("instance", instance);
    return values;
  }
}
