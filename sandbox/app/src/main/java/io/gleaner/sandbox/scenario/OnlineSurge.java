package io.gleaner.sandbox.scenario;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.resources.Resources;
import io.gleaner.sim.load.UsageModel;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Once per run, online work takes back the node of a training gang that {@code ml-batch} submitted
 * to the metadata cluster: as soon as such a gang runs whole in one member, one online pod of that
 * member is pinned to the gang's node (the one holding most of its pods) and needs the node's room,
 * more than Gleaner's pods there other than the gang hold, so the reclaim that makes room must take
 * the gang, and takes it whole (its pods on other nodes too). How the pod needs the room depends on
 * what Gleaner's pods request there:
 *
 * <ul>
 *   <li>{@code cpu} (a lent online node, a Volcano training node, an elastic node): the pod
 *       requests the node's allocatable CPU less what the member's own pods request there and less
 *       all but half a core of the gang's pods, and does not preempt (PriorityClass {@value
 *       #PRIORITY_CLASS} of value 1000, {@code preemptionPolicy: Never}): it waits {@code
 *       Unschedulable} until the descheduler reclaims;
 *   <li>{@code kubernetes.io/batch-cpu} (a co-location node): the pod requests one core and uses
 *       the node's whole batch CPU on top ({@link UsageModel#CPU_USAGE}), so the co-location
 *       agent's next recomputation leaves Gleaner's pods there no batch CPU: co-location pressure.
 * </ul>
 *
 * The pod runs {@link #RUN_SECONDS} simulated seconds, then ends, as a surge subsides. Pure
 * decisions ({@link #surgeFor}) are separate from the clusters' I/O ({@link #tick()}).
 */
public final class OnlineSurge {
  private static final Logger log = LoggerFactory.getLogger(OnlineSurge.class);

  /** The non-preempting PriorityClass of the surge pod, created in its member if absent. */
  public static final String PRIORITY_CLASS = "online-surge";

  public static final String NAMESPACE = "online";

  /** How long (simulated) the surge pod runs. */
  public static final long RUN_SECONDS = 1800;

  /** How much of the gang's CPU on the node the surge leaves room for (request mode). */
  static final long GANG_SLACK_MILLIS = 500;

  private final Supplier<Map<String, KubernetesClient>> members;
  private final Clock clock;
  private final Duration checkEvery;
  private final String team;
  private long nextCheckAt;
  private volatile Surge done;

  /**
   * A surge decided for a gang.
   *
   * @param gang {@code namespace/PodGroup}
   * @param cluster the member holding the gang
   * @param node the node the surge pod is pinned to
   * @param batch whether the node is a co-location node (the pod's usage takes its batch CPU)
   * @param cpuRequestMillis the surge pod's CPU request
   * @param cpuUsageMillis its CPU usage (co-location only; 0 otherwise)
   */
  public record Surge(
      String gang,
      String cluster,
      String node,
      boolean batch,
      long cpuRequestMillis,
      long cpuUsageMillis) {
    /** The surge pod's name. */
    public String podName() {
      return "surge-" + gang.substring(gang.indexOf('/') + 1);
    }
  }

  /** A Gleaner member pod as the surge sees it. */
  record GangPod(
      String gang,
      int members,
      String cluster,
      String node,
      boolean running,
      long cpuMillis,
      long batchCpuMillis) {}

  /**
   * @param members the member clusters' clients by name
   * @param team the namespace whose gangs the surge takes back ({@code ml-batch})
   * @param checkEvery how often (simulated) the gangs are looked at until the surge is made
   */
  public OnlineSurge(
      Supplier<Map<String, KubernetesClient>> members,
      Clock clock,
      String team,
      Duration checkEvery) {
    this.members = Objects.requireNonNull(members, "members");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.team = Objects.requireNonNull(team, "team");
    this.checkEvery = Objects.requireNonNull(checkEvery, "checkEvery");
    this.nextCheckAt = clock.millis();
  }

  /** The surge made, or null while none was. */
  public Surge surge() {
    return done;
  }

  /** Looks for a gang running whole and, the first time one does, makes the surge. */
  public synchronized void tick() {
    long now = clock.millis();
    if (done != null || now < nextCheckAt) {
      return;
    }
    nextCheckAt = now + checkEvery.toMillis();
    Map<String, KubernetesClient> clients = members.get();
    List<GangPod> pods = new ArrayList<>();
    for (Map.Entry<String, KubernetesClient> e : clients.entrySet()) {
      for (Pod p :
          e.getValue()
              .pods()
              .inAnyNamespace()
              .withLabel(GleanerKeys.MANAGED, "true")
              .list()
              .getItems()) {
        GangPod g = gangPod(e.getKey(), p);
        if (g != null && g.gang().startsWith(team + "/")) {
          pods.add(g);
        }
      }
    }
    for (String gang : runningWhole(pods)) {
      List<GangPod> mine = pods.stream().filter(p -> p.gang().equals(gang)).toList();
      String cluster = mine.get(0).cluster();
      String node = busiestNode(mine);
      KubernetesClient client = clients.get(cluster);
      Node n = client.nodes().withName(node).get();
      if (n == null) {
        continue;
      }
      List<Pod> onNode =
          client.pods().inAnyNamespace().withField("spec.nodeName", node).list().getItems();
      Surge s = surgeFor(gang, cluster, n, onNode);
      if (s == null) {
        continue;
      }
      create(client, s);
      done = s;
      log.info(
          "scenario: online surge in {}: pod {}/{} on {} {} (the room training gang {} holds there)",
          cluster,
          NAMESPACE,
          s.podName(),
          node,
          s.batch()
              ? "uses " + s.cpuUsageMillis() + "m CPU, the node's batch CPU"
              : "requests " + s.cpuRequestMillis() + "m CPU and does not preempt",
          gang);
      return;
    }
  }

  /** The gang pod {@code p} of {@code cluster}, or null when it is of no gang. */
  static GangPod gangPod(String cluster, Pod p) {
    Map<String, String> a = p.getMetadata().getAnnotations();
    String gang = a == null ? null : a.get(GleanerKeys.GANG);
    if (gang == null || gang.isEmpty()) {
      return null;
    }
    boolean running =
        p.getStatus() != null
            && "Running".equals(p.getStatus().getPhase())
            && p.getMetadata().getDeletionTimestamp() == null
            && p.getSpec().getNodeName() != null;
    Resources r = requests(p);
    int members;
    try {
      members = Integer.parseInt(a.getOrDefault(GleanerKeys.GANG_MEMBERS, "0"));
    } catch (NumberFormatException e) {
      members = 0;
    }
    return new GangPod(
        gang,
        members,
        cluster,
        p.getSpec().getNodeName(),
        running,
        r.cpuMillis(),
        r.get(Resources.BATCH_CPU));
  }

  /**
   * Gangs (by name order) whose pods are all in one member, all running, and as many as the broker
   * placed together ({@code gleaner.io/gang-members}, at least two).
   */
  static List<String> runningWhole(List<GangPod> pods) {
    Map<String, List<GangPod>> byGang = new TreeMap<>();
    pods.forEach(p -> byGang.computeIfAbsent(p.gang(), k -> new ArrayList<>()).add(p));
    List<String> out = new ArrayList<>();
    byGang.forEach(
        (gang, list) -> {
          boolean oneMember = list.stream().map(GangPod::cluster).distinct().count() == 1;
          int placed = list.stream().mapToInt(GangPod::members).max().orElse(0);
          if (oneMember
              && placed > 1
              && list.size() == placed
              && list.stream().allMatch(GangPod::running)) {
            out.add(gang);
          }
        });
    return out;
  }

  /** The node holding most of the gang's pods (the first by name on a tie). */
  static String busiestNode(List<GangPod> gang) {
    Map<String, Integer> count = new TreeMap<>();
    gang.forEach(p -> count.merge(p.node(), 1, Integer::sum));
    String best = null;
    for (Map.Entry<String, Integer> e : count.entrySet()) {
      if (best == null || e.getValue() > count.get(best)) {
        best = e.getKey();
      }
    }
    return best;
  }

  /**
   * The surge on {@code node} that only reclaiming {@code gang} can make room for, given the pods
   * bound there; null when there is none (the member's own pods leave no room for one).
   */
  static Surge surgeFor(String gang, String cluster, Node node, List<Pod> onNode) {
    Map<String, Quantity> alloc =
        node.getStatus() == null ? null : node.getStatus().getAllocatable();
    if (alloc == null) {
      return null;
    }
    Resources allocatable = Resources.fromQuantities(alloc);
    long gangCpu = 0;
    long gangBatch = 0;
    long ownCpu = 0;
    for (Pod p : onNode) {
      String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
      if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
        continue;
      }
      Map<String, String> labels = p.getMetadata().getLabels();
      boolean gleaner = labels != null && "true".equals(labels.get(GleanerKeys.MANAGED));
      Resources r = requests(p);
      if (gleaner) {
        GangPod g = gangPod(cluster, p);
        if (g != null && g.gang().equals(gang)) {
          gangCpu += r.cpuMillis();
          gangBatch += r.get(Resources.BATCH_CPU);
        }
      } else {
        ownCpu += r.cpuMillis();
      }
    }
    String name = node.getMetadata().getName();
    if (gangBatch > 0) {
      long batchCpu = allocatable.get(Resources.BATCH_CPU);
      long request = 1000;
      if (batchCpu <= 0 || allocatable.cpuMillis() - ownCpu < request) {
        return null;
      }
      return new Surge(gang, cluster, name, true, request, batchCpu);
    }
    if (gangCpu <= GANG_SLACK_MILLIS) {
      return null;
    }
    long request = allocatable.cpuMillis() - ownCpu - gangCpu + GANG_SLACK_MILLIS;
    if (request <= 0) {
      return null;
    }
    return new Surge(gang, cluster, name, false, request, 0);
  }

  private static Resources requests(Pod p) {
    Resources sum = Resources.ZERO;
    for (var c : p.getSpec().getContainers()) {
      if (c.getResources() != null && c.getResources().getRequests() != null) {
        sum = sum.plus(Resources.fromQuantities(c.getResources().getRequests()));
      }
    }
    return sum;
  }

  private static void create(KubernetesClient client, Surge s) {
    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
        .createOr(x -> x.update());
    if (client.scheduling().v1().priorityClasses().withName(PRIORITY_CLASS).get() == null) {
      client
          .scheduling()
          .v1()
          .priorityClasses()
          .resource(
              new PriorityClassBuilder()
                  .withNewMetadata()
                  .withName(PRIORITY_CLASS)
                  .endMetadata()
                  .withValue(1000)
                  .withPreemptionPolicy("Never")
                  .withDescription("the sandbox's online surge: waits for Gleaner's reclaim")
                  .build())
          .create();
    }
    PodBuilder pod =
        new PodBuilder()
            .withNewMetadata()
            .withName(s.podName())
            .withNamespace(NAMESPACE)
            .addToLabels("app", "surge")
            .addToAnnotations(ScenarioDriver.RUN_SECONDS_ANNOTATION, Long.toString(RUN_SECONDS))
            .endMetadata();
    if (s.batch()) {
      pod.editMetadata()
          .addToAnnotations(UsageModel.CPU_USAGE, s.cpuUsageMillis() + "m")
          .endMetadata();
    }
    client
        .pods()
        .inNamespace(NAMESPACE)
        .resource(
            pod.withNewSpec()
                .withPriorityClassName(PRIORITY_CLASS)
                .withRestartPolicy("Never")
                .withNodeSelector(Map.of("kubernetes.io/hostname", s.node()))
                .addNewContainer()
                .withName("web")
                .withImage("registry.example.com/online/web:1.0")
                .withNewResources()
                .addToRequests("cpu", new Quantity(s.cpuRequestMillis() + "m"))
                .addToRequests("memory", new Quantity("1Gi"))
                .endResources()
                .endContainer()
                .endSpec()
                .build())
        .create();
  }
}
