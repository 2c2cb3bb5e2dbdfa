package io.gleaner.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.sandbox.install.Installation;
import io.gleaner.sandbox.install.ServiceProcesses;
import io.gleaner.sim.MemberSpec;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimulatedCluster;
import io.gleaner.sim.apiserver.audit.AuditEvent;
import io.gleaner.vk.pod.ObjectSync;
import io.gleaner.vk.translate.MemberNames;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14's "two installations on one member leave each other's pods and nodes alone", on the
 * install test ground: the sandbox's installation ({@code gleaner}) and a second one ({@code
 * gleaner-b}, its own metadata cluster, release, namespace, ZooKeeper chroot, virtual node and
 * member release) both installed by their charts, each service with its own credentials, sharing
 * one member of two nodes. Each installation's policy makes only one node idle to it (the member's
 * own pods request half of node-0's memory and half of node-1's CPU; {@code gleaner} counts memory
 * up to all of it and CPU up to 20 %, {@code gleaner-b} the reverse), so which node each one may
 * lend is known while the other is up and watching it: what is tested is that each leaves the
 * other's claim, pods and copies alone, not who wins a race.
 *
 * <p>What each installation did in the member is read from the member API server's audit trail:
 * every write of its member identity (pods, evictions, ConfigMaps, Secrets, nodes, namespaces) is
 * checked against what the other owns. Only the services involved run: one virtual-kubelet per
 * installation (no standby), eight JVMs in all.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TwoInstallationsInstallIT {
  private static final String MEMBER = "shared-1";
  private static final String NODE_0 = MEMBER + "-node-0";
  private static final String NODE_1 = MEMBER + "-node-1";
  private static final MemberSpec SHARED =
      MemberSpec.of(MEMBER, MemberRole.ONLINE, NodeShape.of(2, "8", "32Gi"))
          .withZone("zone-a", "region-1");
  private static final Installation B = Installation.beside("gleaner-b");

  /** The member's own work: half of node-0's memory, half of node-1's CPU. */
  private static final String MEMBER_LOAD =
      """
      apiVersion: v1
      kind: Namespace
      metadata: {name: online}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: cache, namespace: online}
      spec:
        nodeSelector: {kubernetes.io/hostname: %s}
        containers:
          - name: cache
            image: redis:7
            resources:
              requests: {cpu: 100m, memory: 16Gi}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: compute, namespace: online}
      spec:
        nodeSelector: {kubernetes.io/hostname: %s}
        containers:
          - name: compute
            image: busybox:1.36
            resources:
              requests: {cpu: "4", memory: 64Mi}
      """
          .formatted(NODE_0, NODE_1);

  /**
   * A tenant pod ({@code %1$s}) on the virtual node that mounts the tenant's Secret {@code
   * conf-%2$s}, which holds {@code %3$s}.
   */
  private static final String TENANT =
      """
      apiVersion: v1
      kind: Secret
      metadata: {name: conf-%2$s, namespace: team-a}
      stringData: {key: %3$s}
      ---
      apiVersion: v1
      kind: Pod
      metadata:
        name: %1$s
        namespace: team-a
        labels: {gleaner.io/class: offline}
      spec:
        nodeSelector: {type: virtual-kubelet}
        tolerations:
          - {key: virtual-kubelet.io/provider, operator: Equal, value: gleaner, effect: NoSchedule}
        restartPolicy: Never
        containers:
          - name: work
            image: busybox:1.36
            command: ["sh", "-c", "sleep 600"]
            volumeMounts: [{name: conf, mountPath: /etc/conf}]
            resources:
              requests: {cpu: 500m, memory: 256Mi, ephemeral-storage: 10Gi}
        volumes:
          - name: conf
            secret: {secretName: conf-%2$s}
      """;

  @TempDir static Path dir;
  private static Sandbox sandbox;
  private static Sandbox.Installed a;
  private static Sandbox.Installed b;
  private static Path memberKubeconfig;

  /** Member objects each installation owns (resource/namespace/name), as seen while they run. */
  private static final Map<String, Set<String>> owned = new HashMap<>();

  @BeforeAll
  static void install() throws Exception {
    SandboxOptions options =
        new SandboxOptions(
            60,
            SandboxOptions.defaultStart(Clock.systemUTC()),
            1,
            0,
            0,
            dir.resolve("k"),
            0,
            0,
            // idleAfter: a node idle for 2 simulated minutes (2 s) is lent
            java.time.Duration.ofMinutes(2),
            java.time.Duration.ofMinutes(3),
            java.time.Duration.ofMinutes(40),
            42,
            false,
            false,
            0);
    memberKubeconfig = dir.resolve("k").resolve(MEMBER + ".kubeconfig");
    Map<String, Object> oneVirtualKubelet = Map.of("virtualKubelet", Map.of("replicas", 1));
    sandbox =
        new Sandbox(
                options,
                step -> System.out.println("[install] " + step),
                UnaryOperator.identity(),
                System.out)
            .withMembers(List.of(SHARED))
            .withGleanerValues(
                oneVirtualKubelet,
                meta -> {
                  memberLoad();
                  idleThresholds(meta, 0.2, 1.0, 0.1);
                })
            .install();
    a = sandbox.installed();
    b = sandbox.installBeside(B, oneVirtualKubelet, meta -> idleThresholds(meta, 1.0, 0.2, 1.0));
  }

  @AfterAll
  static void uninstall() {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  private static ConditionFactory within(int seconds) {
    return await().atMost(Duration.ofSeconds(seconds)).pollInterval(Duration.ofMillis(300));
  }

  /** The member's own pods, applied by its admin before Gleaner is installed, running. */
  private static void memberLoad() throws Exception {
    Path file = dir.resolve("member-load.yaml");
    Files.writeString(file, MEMBER_LOAD);
    InstallTools.kubectl(memberKubeconfig, "apply", "-f", file.toString());
    for (String pod : List.of("cache", "compute")) {
      within(60)
          .until(
              () ->
                  InstallTools.kubectl(
                      memberKubeconfig,
                      "-n",
                      "online",
                      "get",
                      "pod",
                      pod,
                      "-o",
                      "jsonpath={.status.phase}"),
              "Running"::equals);
    }
  }

  /** The installation's GleanerPolicy idle thresholds, patched with kubectl before its install. */
  private static void idleThresholds(Path meta, double cpu, double memory, double usage)
      throws Exception {
    InstallTools.kubectl(
        meta,
        "patch",
        "gleanerpolicy",
        "default",
        "--type=merge",
        "-p",
        "{\"spec\":{\"idleThresholds\":{\"cpuRequestFraction\":%s,\"memoryRequestFraction\":%s,\"cpuUsageFraction\":%s}}}"
            .formatted(cpu, memory, usage));
  }

  @Test
  @Order(1)
  void bothInstallationsRunTheirOwnServicesAsTheirChartsInstallThem() {
    assertThat(a.processes().replicas())
        .extracting(ServiceProcesses.Replica::name)
        .containsExactlyInAnyOrder(
            "broker-0", "idle-detector-0", "descheduler-0", "virtual-kubelet-0");
    assertThat(b.processes().replicas())
        .extracting(ServiceProcesses.Replica::name)
        .containsExactlyInAnyOrder(
            "gleaner-b-broker-0",
            "gleaner-b-idle-detector-0",
            "gleaner-b-descheduler-0",
            "gleaner-b-virtual-kubelet-0");
    assertThat(a.memberIdentities())
        .containsExactly("system:serviceaccount:gleaner-system:gleaner-member");
    assertThat(b.memberIdentities())
        .containsExactly("system:serviceaccount:gleaner-b-system:gleaner-member-gleaner-b");
    assertThat(kinds(b.memberRendered()))
        .as("the second member release's own RBAC and admission policy")
        .contains(
            "ClusterRole/gleaner-member-gleaner-b",
            "ClusterRoleBinding/gleaner-member-gleaner-b",
            "ValidatingAdmissionPolicy/gleaner-member-gleaner-b",
            "ValidatingAdmissionPolicyBinding/gleaner-member-gleaner-b")
        .noneMatch(k -> k.startsWith("PriorityClass/"));
  }

  private static List<String> kinds(List<HasMetadata> objects) {
    return objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()).toList();
  }

  /** Each idle-detector lends the node idle to it, under its own claim, to its own broker. */
  @Test
  @Order(2)
  void eachInstallationLendsOnlyTheNodeTheOtherHasNotLent() {
    KubernetesClient member = sandbox.federation().member(MEMBER).client();
    within(120)
        .untilAsserted(
            () -> {
              assertThat(labels(member, NODE_0))
                  .containsEntry(GleanerKeys.POOL, "idle")
                  .containsEntry(GleanerKeys.LENT_BY, "gleaner");
              assertThat(labels(member, NODE_1))
                  .containsEntry(GleanerKeys.POOL, "idle")
                  .containsEntry(GleanerKeys.LENT_BY, "gleaner-b");
            });
    // each virtual node, in its own metadata cluster, offers what its broker got
    for (Sandbox.Installed i : List.of(a, b)) {
      within(60)
          .until(
              () -> {
                var node = i.meta().client().nodes().withName(i.installation().virtualNode()).get();
                return node != null
                    && node.getStatus().getAllocatable().get("cpu") != null
                    && !"0".equals(node.getStatus().getAllocatable().get("cpu").getAmount());
              });
    }
  }

  private static Map<String, String> labels(KubernetesClient member, String node) {
    Map<String, String> l = member.nodes().withName(node).get().getMetadata().getLabels();
    return l == null ? Map.of() : l;
  }

  /**
   * A tenant of each installation submits a pod mounting a Secret of its own to its virtual node:
   * each runs in the shared member, on the node its installation lent, labelled with its instance,
   * its Secret copied into the member namespace both installations map {@code team-a} to. A Secret
   * of the same name brought by the other installation's tenant is not copied over it.
   */
  @Test
  @Order(3)
  void eachInstallationsPodRunsOnItsOwnNodeWithItsOwnCopies() throws Exception {
    for (Sandbox.Installed i : List.of(a, b)) {
      String suffix = suffix(i);
      InstallTools.kubectl(i.metaKubeconfig(), "create", "namespace", "team-a");
      Path file = dir.resolve("tenant-" + suffix + ".yaml");
      Files.writeString(file, TENANT.formatted("pod-" + suffix, suffix, "value-of-" + suffix));
      InstallTools.kubectl(i.metaKubeconfig(), "apply", "-f", file.toString());
    }
    KubernetesClient member = sandbox.federation().member(MEMBER).client();
    for (Sandbox.Installed i : List.of(a, b)) {
      String pod = "pod-" + suffix(i);
      within(120).until(() -> phase(i, pod), "Running"::equals);
      Pod metaPod = i.meta().client().pods().inNamespace("team-a").withName(pod).get();
      assertThat(metaPod.getSpec().getNodeName()).isEqualTo(i.installation().virtualNode());
      Pod backing =
          member
              .pods()
              .inAnyNamespace()
              .withLabel(GleanerKeys.META_UID, metaPod.getMetadata().getUid())
              .list()
              .getItems()
              .get(0);
      assertThat(backing.getMetadata().getName())
          .isEqualTo(MemberNames.forUid(metaPod.getMetadata().getUid()));
      assertThat(backing.getMetadata().getLabels())
          .containsEntry(GleanerKeys.INSTANCE, i.installation().instance());
      assertThat(backing.getSpec().getNodeName()).isEqualTo(i == a ? NODE_0 : NODE_1);
      assertThat(backing.getMetadata().getNamespace()).isEqualTo("gleaner-team-a");
      var copy = member.secrets().inNamespace("gleaner-team-a").withName("conf-" + suffix(i)).get();
      assertThat(copy.getMetadata().getLabels())
          .containsEntry(GleanerKeys.INSTANCE, i.installation().instance());
    }
    // b's tenant brings a Secret of the name a's tenant uses: the copy of that name in the member
    // namespace both map team-a to is a's, so b's pod fails rather than overwrite it
    Path same = dir.resolve("tenant-b-same-name.yaml");
    Files.writeString(same, TENANT.formatted("pod-b-same-name", "a", "b's own"));
    InstallTools.kubectl(b.metaKubeconfig(), "apply", "-f", same.toString());
    within(120).until(() -> reason(b, "pod-b-same-name"), ObjectSync.REASON_CONFLICT::equals);
    assertThat(
            b.meta()
                .client()
                .pods()
                .inNamespace("team-a")
                .withName("pod-b-same-name")
                .get()
                .getStatus()
                .getMessage())
        .contains("Secret gleaner-team-a/conf-a", "belongs to Gleaner installation gleaner");
    var copyOfA = member.secrets().inNamespace("gleaner-team-a").withName("conf-a").get();
    assertThat(copyOfA.getMetadata().getLabels()).containsEntry(GleanerKeys.INSTANCE, "gleaner");
    assertThat(new String(java.util.Base64.getDecoder().decode(copyOfA.getData().get("key"))))
        .isEqualTo("value-of-a");
    // what each owns in the member now: its member pod, copies, pod owner, namespaces it made
    for (Sandbox.Installed i : List.of(a, b)) {
      Set<String> mine = new HashSet<>();
      String instance = i.installation().instance();
      for (Pod p : i.meta().client().pods().inNamespace("team-a").list().getItems()) {
        mine.add("pods/gleaner-team-a/" + MemberNames.forUid(p.getMetadata().getUid()));
      }
      member
          .configMaps()
          .inAnyNamespace()
          .withLabel(GleanerKeys.INSTANCE, instance)
          .list()
          .getItems()
          .forEach(o -> mine.add("configmaps/" + key(o)));
      member
          .secrets()
          .inAnyNamespace()
          .withLabel(GleanerKeys.INSTANCE, instance)
          .list()
          .getItems()
          .forEach(o -> mine.add("secrets/" + key(o)));
      member
          .namespaces()
          .withLabel(GleanerKeys.INSTANCE, instance)
          .list()
          .getItems()
          .forEach(o -> mine.add("namespaces//" + o.getMetadata().getName()));
      mine.add("nodes//" + (i == a ? NODE_0 : NODE_1));
      owned.put(instance, mine);
    }
    System.out.println("[two-installations] owned in " + MEMBER + ": " + owned);
    assertThat(owned.get("gleaner")).contains("secrets/gleaner-team-a/conf-a");
    assertThat(owned.get("gleaner-b")).contains("secrets/gleaner-team-a/conf-b");
  }

  private static String key(HasMetadata o) {
    return o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
  }

  private static String suffix(Sandbox.Installed i) {
    return i == a ? "a" : "b";
  }

  private static String phase(Sandbox.Installed i, String pod) {
    Pod p = i.meta().client().pods().inNamespace("team-a").withName(pod).get();
    return p == null || p.getStatus() == null ? null : p.getStatus().getPhase();
  }

  private static String reason(Sandbox.Installed i, String pod) {
    Pod p = i.meta().client().pods().inNamespace("team-a").withName(pod).get();
    return p == null || p.getStatus() == null ? null : p.getStatus().getReason();
  }

  /**
   * Online work needs both lent nodes at once: each node's online pod fits only once the Gleaner
   * pod there is gone. Each installation's descheduler sees both nodes under pressure and both
   * Gleaner pods; each reclaims its own pod (the metadata pod ends {@code Reclaimed}) and only it.
   */
  @Test
  @Order(4)
  void onlinePressureOnBothNodesIsReclaimedByEachDeschedulerForItsOwnPodOnly() throws Exception {
    SimulatedCluster member = sandbox.federation().member(MEMBER);
    Path file = dir.resolve("online-pressure.yaml");
    StringBuilder yaml =
        new StringBuilder(
            """
            apiVersion: scheduling.k8s.io/v1
            kind: PriorityClass
            metadata: {name: online-nonpreempting}
            value: 1000
            preemptionPolicy: Never
            """);
    for (String node : List.of(NODE_0, NODE_1)) {
      // only Gleaner's pods request scratch space on the member's nodes: the online pod fits
      // once they are gone, whatever else runs there
      long room =
          bytes(
              member
                  .client()
                  .nodes()
                  .withName(node)
                  .get()
                  .getStatus()
                  .getAllocatable()
                  .get("ephemeral-storage"));
      yaml.append(
          """
          ---
          apiVersion: v1
          kind: Pod
          metadata: {name: web-%s, namespace: online}
          spec:
            priorityClassName: online-nonpreempting
            nodeSelector: {kubernetes.io/hostname: %s}
            containers:
              - name: web
                image: nginx:1.27
                resources:
                  requests: {cpu: 100m, memory: 64Mi, ephemeral-storage: "%d"}
          """
              .formatted(node.substring(node.length() - 1), node, room));
    }
    Files.writeString(file, yaml.toString());
    InstallTools.kubectl(memberKubeconfig, "apply", "-f", file.toString());
    for (Sandbox.Installed i : List.of(a, b)) {
      String pod = "pod-" + suffix(i);
      within(120).until(() -> reason(i, pod), "Reclaimed"::equals);
    }
    for (String web : List.of("web-0", "web-1")) {
      within(60)
          .until(
              () ->
                  InstallTools.kubectl(
                      memberKubeconfig,
                      "-n",
                      "online",
                      "get",
                      "pod",
                      web,
                      "-o",
                      "jsonpath={.status.phase}"),
              "Running"::equals);
    }
  }

  /**
   * From the member's audit trail of the whole run: every write of each installation's member
   * identity touched only its own objects, none the other's, and was refused nothing; each evicted
   * its own pod (so the check is not empty).
   */
  @Test
  @Order(5)
  void neitherInstallationWroteAnythingOfTheOthersInTheMember() {
    var audit = sandbox.federation().member(MEMBER).apiServer().security().audit();
    assertThat(audit.dropped()).as("audit events dropped (the trail must be whole)").isZero();
    List<AuditEvent> events = audit.events();
    for (Sandbox.Installed i : List.of(a, b)) {
      Sandbox.Installed other = i == a ? b : a;
      Set<String> theirs = owned.get(other.installation().instance());
      List<String> touched = new ArrayList<>();
      List<String> refused = new ArrayList<>();
      List<String> evicted = new ArrayList<>();
      for (AuditEvent e : events) {
        if (!i.memberIdentities().contains(e.effectiveUser())
            || !AuditEvent.RESPONSE_COMPLETE.equals(e.stage())) {
          continue;
        }
        if (e.code() == 403) {
          refused.add(e.verb() + " " + e.combinedResource() + " " + e.namespace() + "/" + e.name());
        }
        if (!e.succeeded() || !WRITES.contains(e.verb())) {
          continue;
        }
        String target = e.resource() + "/" + e.namespace() + "/" + e.name();
        if (theirs.contains(target)) {
          touched.add(e.verb() + " " + e.combinedResource() + " " + e.namespace() + "/" + e.name());
        }
        if (e.combinedResource().equals("pods/eviction")) {
          evicted.add(target);
        }
      }
      String who = i.installation().instance();
      assertThat(touched).as("%s's writes to the other installation's objects", who).isEmpty();
      assertThat(refused).as("%s's requests refused in the member", who).isEmpty();
      assertThat(evicted)
          .as("%s's evictions: its own pod", who)
          .containsExactly(
              "pods/gleaner-team-a/"
                  + MemberNames.forUid(
                      i.meta()
                          .client()
                          .pods()
                          .inNamespace("team-a")
                          .withName("pod-" + suffix(i))
                          .get()
                          .getMetadata()
                          .getUid()));
    }
  }

  private static final Set<String> WRITES =
      Set.of("create", "update", "patch", "delete", "deletecollection");

  private static long bytes(io.fabric8.kubernetes.api.model.Quantity q) {
    return io.fabric8.kubernetes.api.model.Quantity.getAmountInBytes(q).longValue();
  }
}
