package io.gleaner.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.api.client.ApiChannels;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.client.ChannelSettings;
import io.gleaner.api.v1.BrokerGrpc;
import io.gleaner.api.v1.Capacity;
import io.gleaner.api.v1.ClusterCapacity;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.cli.CapacityCommand;
import io.gleaner.descheduler.hooks.Signatures;
import io.gleaner.meta.coord.ZkCredentials;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.crd.GleanerPolicy;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.resources.Resources;
import io.gleaner.sandbox.install.MemberRegistration;
import io.gleaner.sandbox.install.RbacUsage;
import io.gleaner.sandbox.install.ServiceProcesses;
import io.gleaner.sim.MemberSpec;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimulatedCluster;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gleaner installed onto simulated clusters as the README's "Deploying" section tells a user (the
 * charts rendered with their defaults, applied, members registered from their token Secrets), the
 * services running as processes with their own service accounts' credentials, used with the real
 * {@code kubectl}. One install (a metadata cluster and three members) serves every method, in
 * order. {@link InstallWithoutBrokerSecretRuleIT} breaks an install on purpose.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InstallIT {
  private static final String POD_YAML =
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: %s
        namespace: team-a
        labels:
          gleaner.io/class: offline
      spec:
        nodeSelector:
          type: virtual-kubelet
        tolerations:
          - key: virtual-kubelet.io/provider
            operator: Equal
            value: gleaner
            effect: NoSchedule
        restartPolicy: Never
        containers:
          - name: work
            image: busybox:1.36
            command: ["sh", "-c", "echo gleaned; sleep 600"]
            resources:
              requests: {cpu: 500m, memory: 256Mi}
      """;

  /** The signing key of the webhook the operator configures, in a Secret of its own. */
  private static final String WEBHOOK_KEY = "install-it-" + java.util.UUID.randomUUID();

  /**
   * A member cluster that was not part of the install, added in case 6 while the services run: two
   * nodes larger than any other member's (64 cores against 32 at most) and no online load, so every
   * node is idle and has room for Gleaner by construction. It has no online history, so its nodes
   * are lent after {@code idleAfter} (10 simulated minutes, 10 s here), as a real member added with
   * no history is, or earlier by the forecast once its first clock hour has ended (both seen).
   */
  private static final MemberSpec ADDED =
      MemberSpec.of(
              "added-1",
              MemberRole.ONLINE,
              NodeShape.of(2, "64", "256Gi").withInstanceType("c6.16xlarge"))
          .withZone("zone-z", "region-2");

  @TempDir static Path dir;
  private static Sandbox sandbox;
  private static Path kubeconfig;
  private static HttpServer receiver;
  private static final List<Delivery> deliveries = new CopyOnWriteArrayList<>();

  /** One POST the webhook receiver got: the bytes received and the headers. */
  record Delivery(byte[] body, com.sun.net.httpserver.Headers headers) {}

  @BeforeAll
  static void install() throws Exception {
    // the operator's own HTTP endpoint for reclaim events, answering 204 as a receiver does
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/reclaims",
        exchange -> {
          try (InputStream in = exchange.getRequestBody()) {
            deliveries.add(new Delivery(in.readAllBytes(), exchange.getRequestHeaders()));
          }
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    receiver.start();
    SandboxOptions options =
        SandboxOptions.defaults(dir.resolve("k")).withClusters(1, 1, 1).withPorts(0, 0);
    // README "Configuration": a webhook by name in the chart's values, its key in a Secret the
    // operator creates before helm install
    Map<String, Object> webhook =
        Map.of(
            "url",
            "http://127.0.0.1:" + receiver.getAddress().getPort() + "/reclaims",
            "signingKeySecret",
            Map.of("name", "pager-hmac", "key", "key"));
    sandbox =
        new Sandbox(
                options,
                step -> System.out.println("[install] " + step),
                objects -> objects,
                System.out)
            .withGleanerValues(
                Map.of(
                    "descheduler", Map.of("hooks", Map.of("webhooks", Map.of("pager", webhook)))),
                meta ->
                    InstallTools.kubectl(
                        meta,
                        "-n",
                        Sandbox.NAMESPACE,
                        "create",
                        "secret",
                        "generic",
                        "pager-hmac",
                        "--from-literal=key=" + WEBHOOK_KEY))
            .install();
    kubeconfig = dir.resolve("k").resolve("meta.kubeconfig");
    kubectl("create", "namespace", "team-a");
  }

  @AfterAll
  static void uninstall() {
    if (sandbox != null) {
      sandbox.close();
    }
    if (receiver != null) {
      receiver.stop(0);
    }
  }

  @Test
  @Order(1)
  void theChartDeploysEveryServiceAsProcessesWithTwoVirtualKubelets() {
    assertThat(sandbox.processes().replicas())
        .extracting(ServiceProcesses.Replica::name)
        .containsExactlyInAnyOrder(
            "broker-0",
            "idle-detector-0",
            "descheduler-0",
            "virtual-kubelet-0",
            "virtual-kubelet-1");
    assertThat(sandbox.processes().replicas()).allMatch(ServiceProcesses.Replica::isAlive);
  }

  @Test
  @Order(2)
  void aPodAppliedWithKubectlRunsInAMemberAndItsLogsComeThroughTheKubeletApi() throws Exception {
    apply("batch-1");

    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                kubectl("-n", "team-a", "get", "pod", "batch-1", "-o", "jsonpath={.status.phase}"),
            "Running"::equals);

    KubernetesClient meta = sandbox.federation().meta().client();
    Pod pod = meta.pods().inNamespace("team-a").withName("batch-1").get();
    assertThat(pod.getSpec().getNodeName()).isEqualTo("gleaner");
    long backing =
        sandbox.federation().members().stream()
            .map(SimulatedCluster::client)
            .mapToLong(
                c ->
                    c.pods()
                        .inAnyNamespace()
                        .withLabel("gleaner.io/meta-uid", pod.getMetadata().getUid())
                        .list()
                        .getItems()
                        .size())
            .sum();
    assertThat(backing).isEqualTo(1);

    // the API server relays to the virtual-kubelet's kubelet API, which relays to the member
    assertThat(kubectl("-n", "team-a", "logs", "batch-1", "--insecure-skip-tls-verify-backend"))
        .isNotBlank();
    // exec takes the same way (a WebSocket): the API server presents its kubelet client
    // certificate,
    // which the kubelet API verifies against the cluster CA mounted from kube-root-ca.crt
    assertThat(kubectl("-n", "team-a", "exec", "batch-1", "--", "echo", "through-the-kubelet-api"))
        .contains("through-the-kubelet-api");
  }

  /**
   * What a user sees when the broker may not read the member kubeconfig Secrets (the chart's rule
   * removed, the broker restarted): the broker knows no member and rejects every offer, the virtual
   * node's allocatable drops to zero once the earlier offers expire, and a new pod stays Pending.
   */
  /**
   * Grants the run above does not use, each with the path that needs it. Every other grant of the
   * charts must be used by the services in this run; an entry here that the charts no longer grant
   * fails the test too.
   */
  static final Map<String, String> NEEDED_UNEXERCISED =
      Map.ofEntries(
          Map.entry(
              "gleaner-virtual-kubelet get core/pods",
              "PodController re-reads a metadata pod before it ends its deletion (no pod is deleted"
                  + " here) and after a status write its copy was too old for (409)"),
          Map.entry(
              "gleaner-virtual-kubelet delete core/pods",
              "PodController ends a metadata pod's graceful deletion once its member pod is gone"),
          Map.entry(
              "gleaner-virtual-kubelet get core/configmaps",
              "ObjectSync copies the ConfigMaps a pod mounts; the pods here mount none"),
          Map.entry(
              "gleaner-virtual-kubelet create authentication.k8s.io/tokenreviews",
              "the kubelet API authenticates bearer tokens by TokenReview; the API server here"
                  + " presents its client certificate"),
          Map.entry(
              "gleaner-virtual-kubelet patch core/events",
              "EventMirror updates an event it created before (409 on create)"),
          Map.entry(
              "gleaner-member get core/pods",
              "the virtual-kubelet reads a member pod on a name conflict and before deleting it;"
                  + " the descheduler reads a victim after its eviction"),
          Map.entry(
              "gleaner-member delete core/pods",
              "the virtual-kubelet deletes a member pod when its metadata pod is deleted"),
          Map.entry(
              "gleaner-member create core/pods/eviction",
              "the descheduler's reclaim: case 9, after this check, and SandboxE2E, whose"
                  + " foreign_pod_deleted invariant judges every eviction"),
          Map.entry(
              "gleaner-member get core/pods/attach", "kubectl attach through the kubelet API"),
          Map.entry(
              "gleaner-member create core/pods/attach", "kubectl attach through the kubelet API"),
          Map.entry(
              "gleaner-member patch core/pods",
              "the descheduler notes on a pod it evicts for a team's guarantee why: no team has a"
                  + " guarantee here (the sandbox's ads-nearline has); the virtual-kubelet gives a"
                  + " member pod a deadline set on its metadata pod: case 14, after this check"),
          Map.entry(
              "gleaner-member create core/events",
              "the descheduler records its reclaims in the member (SandboxE2E)"),
          Map.entry(
              "gleaner-member update core/configmaps",
              "ObjectSync keeps copied ConfigMaps current; the pods here mount none"),
          Map.entry(
              "gleaner-member delete core/configmaps",
              "ObjectSync removes copies no pod uses any more"),
          Map.entry(
              "gleaner-member get core/secrets", "ObjectSync copies the Secrets a pod mounts"),
          Map.entry(
              "gleaner-member create core/secrets", "ObjectSync copies the Secrets a pod mounts"),
          Map.entry(
              "gleaner-member update core/secrets", "ObjectSync keeps copied Secrets current"),
          Map.entry(
              "gleaner-member delete core/secrets",
              "ObjectSync removes copies no pod uses any more"),
          Map.entry(
              "gleaner-member patch core/namespaces",
              "ObjectSync moves a namespace it created to a changed pod-security level (case 7,"
                  + " after this check)"),
          Map.entry(
              "gleaner-virtual-kubelet get scheduling.volcano.sh/podgroups",
              "GangStep reads a gang's PodGroup before placing it: case 12, after this check"),
          Map.entry(
              "gleaner-virtual-kubelet get scheduling.x-k8s.io/podgroups",
              "GangStep reads a coscheduling gang's PodGroup; the gang here is Volcano's"),
          Map.entry(
              "gleaner-member get scheduling.volcano.sh/podgroups",
              "MemberPodGroups reads a PodGroup of the mirror's name that exists (GangIT); the"
                  + " gang of case 12 runs after this check"),
          Map.entry(
              "gleaner-member create scheduling.volcano.sh/podgroups",
              "MemberPodGroups mirrors a gang in a member serving Volcano (GangIT)"),
          Map.entry(
              "gleaner-member update scheduling.volcano.sh/podgroups",
              "MemberPodGroups sets minMember on its own PodGroup left by an earlier gang"),
          Map.entry(
              "gleaner-member delete scheduling.volcano.sh/podgroups",
              "the virtual-kubelet's garbage collection deletes a gang's PodGroup once its pods"
                  + " are gone (GangIT)"));

  /**
   * Least privilege, measured: from the API servers' audit trails of the run so far, every request
   * of Gleaner's service accounts (in the metadata cluster, per service; in the members, the member
   * chart's one account that all services share) against what the charts' RBAC grants them.
   */
  @Test
  @Order(3)
  void everyServiceIsRefusedNothingAndUsesEveryGrantOfTheCharts() {
    SimulatedCluster metaCluster = sandbox.federation().meta();
    var metaAudit = metaCluster.apiServer().security().audit();
    RbacUsage.Report meta =
        RbacUsage.analyze(
            sandbox.rendered(),
            Sandbox.serviceAccountUsers(sandbox.rendered()),
            metaAudit.events());
    List<io.gleaner.sim.apiserver.audit.AuditEvent> memberEvents = new ArrayList<>();
    long dropped = metaAudit.dropped();
    for (SimulatedCluster m : sandbox.federation().members()) {
      memberEvents.addAll(m.apiServer().security().audit().events());
      dropped += m.apiServer().security().audit().dropped();
    }
    RbacUsage.Report members =
        RbacUsage.analyze(sandbox.memberRendered(), sandbox.memberIdentities(), memberEvents);
    System.out.println("[least-privilege] metadata cluster, used: " + meta.used());
    System.out.println("[least-privilege] metadata cluster, unused: " + meta.unusedIds());
    System.out.println("[least-privilege] members, used: " + members.used());
    System.out.println("[least-privilege] members, unused: " + members.unusedIds());

    assertThat(dropped).as("audit events dropped (the trail must be whole)").isZero();
    assertThat(meta.used()).as("requests of the services in the metadata cluster").isNotEmpty();
    assertThat(members.used()).as("requests of the services in the members").isNotEmpty();
    assertThat(meta.refused()).as("requests RBAC refused in the metadata cluster").isEmpty();
    // 403 is RBAC's refusal or the member chart's admission policy's: neither refused Gleaner's
    // work
    assertThat(members.refused())
        .as("requests RBAC or the admission policy refused in the members")
        .isEmpty();
    List<String> unused = new ArrayList<>(meta.unusedIds());
    unused.addAll(members.unusedIds());
    assertThat(unused)
        .as("grants no service used (narrow the chart, or list the path that needs it)")
        .isSubsetOf(NEEDED_UNEXERCISED.keySet());
    List<String> granted = new ArrayList<>(meta.grantIds());
    granted.addAll(members.grantIds());
    assertThat(granted).as("grants listed as needed").containsAll(NEEDED_UNEXERCISED.keySet());
  }

  @Test
  @Order(4)
  void theBrokerRefusesEveryMethodToACallerWithoutACertificateAndWritesToTheReader()
      throws Exception {
    assertThat(sandbox.readerTls()).as("the chart's reader certificate").isNotNull();
    ChannelSettings reader = sandbox.brokerChannelSettings("install-it");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ManagedChannel anonymous =
        ApiChannels.open(reader.withTls(reader.caFile(), null, null), registry);
    ManagedChannel asReader = ApiChannels.open(reader, registry);
    try {
      for (MethodDescriptor<?, ?> m : BrokerGrpc.getServiceDescriptor().getMethods()) {
        assertThat(call(anonymous, m).getCode())
            .as(m.getFullMethodName())
            .isEqualTo(Status.Code.UNAUTHENTICATED);
        if (!READ_ONLY.contains(m.getBareMethodName())) {
          assertThat(call(asReader, m).getCode())
              .as("reader calling " + m.getFullMethodName())
              .isEqualTo(Status.Code.PERMISSION_DENIED);
        }
      }
      assertThat(call(asReader, BrokerGrpc.getGetCapacityMethod()).getCode())
          .isEqualTo(Status.Code.OK);
    } finally {
      anonymous.shutdownNow();
      asReader.shutdownNow();
    }
  }

  private static final java.util.Set<String> READ_ONLY =
      java.util.Set.of(
          "GetCapacity", "WatchCapacity", "Estimate", "WatchReclaims", "ListPlacements");

  /** One call of {@code m} with its empty request: the status it ends with. */
  @SuppressWarnings("unchecked")
  private static <Q, A> Status call(ManagedChannel channel, MethodDescriptor<Q, A> m)
      throws Exception {
    Q empty =
        ((MethodDescriptor.PrototypeMarshaller<Q>) m.getRequestMarshaller()).getMessagePrototype();
    ClientCall<Q, A> call =
        channel.newCall(m, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
    CompletableFuture<Status> done = new CompletableFuture<>();
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onClose(Status status, Metadata trailers) {
            done.complete(status);
          }
        },
        new Metadata());
    call.request(1);
    call.sendMessage(empty);
    call.halfClose();
    return done.get(15, TimeUnit.SECONDS);
  }

  @Test
  @Order(5)
  void theServicesZnodesAreClosedToAClientWithoutTheirZooKeeperCredentials() throws Exception {
    List<io.fabric8.kubernetes.api.model.apps.Deployment> deployments =
        sandbox.rendered().stream()
            .filter(io.fabric8.kubernetes.api.model.apps.Deployment.class::isInstance)
            .map(io.fabric8.kubernetes.api.model.apps.Deployment.class::cast)
            .toList();
    Map<String, io.fabric8.kubernetes.api.model.Secret> secrets = new java.util.HashMap<>();
    sandbox.rendered().stream()
        .filter(io.fabric8.kubernetes.api.model.Secret.class::isInstance)
        .map(io.fabric8.kubernetes.api.model.Secret.class::cast)
        .forEach(s -> secrets.put(s.getMetadata().getName(), s));
    ZkCredentials credentials = Sandbox.zookeeperCredentials(deployments, secrets);
    assertThat(credentials).as("the chart turns ZooKeeper authentication on").isNotNull();
    String connect = sandbox.federation().zookeeperConnectString();
    try (CuratorFramework gleaner = curator(connect, credentials);
        CuratorFramework anonymous = curator(connect, null)) {
      List<String> children = gleaner.getChildren().forPath("/" + Sandbox.ZK_NAMESPACE);
      assertThat(children).isNotEmpty();
      assertThat(gleaner.getACL().forPath("/" + Sandbox.ZK_NAMESPACE)).isEqualTo(credentials.acl());
      assertThatThrownBy(() -> anonymous.getChildren().forPath("/" + Sandbox.ZK_NAMESPACE))
          .isInstanceOf(KeeperException.NoAuthException.class);
      for (String child : children) {
        String path = "/" + Sandbox.ZK_NAMESPACE + "/" + child;
        assertThat(gleaner.getACL().forPath(path)).as(path).isEqualTo(credentials.acl());
        assertThatThrownBy(() -> anonymous.getData().forPath(path))
            .as(path)
            .isInstanceOf(KeeperException.NoAuthException.class);
        assertThatThrownBy(() -> anonymous.setData().forPath(path, new byte[] {0}))
            .as(path)
            .isInstanceOf(KeeperException.NoAuthException.class);
      }
    }
  }

  private static CuratorFramework curator(String connect, ZkCredentials credentials)
      throws InterruptedException {
    CuratorFrameworkFactory.Builder b =
        CuratorFrameworkFactory.builder().connectString(connect).retryPolicy(new RetryOneTime(100));
    if (credentials != null) {
      b.authorization("digest", credentials.authBytes());
    }
    CuratorFramework c = b.build();
    c.start();
    assertThat(c.blockUntilConnected(10, TimeUnit.SECONDS)).isTrue();
    return c;
  }

  /**
   * A platform team takes the member running a pod out with kubectl, then puts it back: the
   * installed services drain it behind their finalizer (its pod deleted there, the metadata pod
   * failed {@code MemberRemoved} for its Job to replace), the object goes, and the member created
   * again at runtime is taken up again (Gleaner's finalizer back on it). Whether its nodes are lent
   * again depends on its forecast (an online member with history may be in its morning ramp), so
   * that is not asserted here: meanwhile a member that was not part of the install joins, and case
   * 11 finds its idle nodes lent and used.
   */
  @Test
  @Order(6)
  void aMemberTakenOutWithKubectlIsDrainedAndOneAddedAtRuntimeIsUsed() throws Exception {
    apply("batch-2");
    KubernetesClient meta = sandbox.federation().meta().client();
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> memberOf(meta, "batch-2") != null);
    SimulatedCluster member = memberOf(meta, "batch-2");
    // a member that was not part of the install joins now (after batch-2 was placed, so that it is
    // not the one taken out), so that its idle wait passes while the cases up to 11 run
    long t0 = System.nanoTime();
    register(sandbox.addMember(ADDED));
    System.out.printf(
        "[added-1] started, member chart installed, registered with kubectl in %d ms%n",
        (System.nanoTime() - t0) / 1_000_000);
    String name = member.name();
    assertThat(kubectl("get", "membercluster", name, "-o", "jsonpath={.metadata.finalizers}"))
        .contains("gleaner.io/member-pods");
    String spec = kubectl("get", "membercluster", name, "-o", "yaml");

    kubectl("delete", "membercluster", name, "--wait=false");

    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> kubectl("get", "membercluster", name, "--ignore-not-found", "-o", "name"),
            String::isBlank);
    Pod failed = meta.pods().inNamespace("team-a").withName("batch-2").get();
    assertThat(failed.getStatus().getPhase()).isEqualTo("Failed");
    assertThat(failed.getStatus().getReason()).isEqualTo("MemberRemoved");
    assertThat(
            member
                .client()
                .pods()
                .inAnyNamespace()
                .withLabel("gleaner.io/managed", "true")
                .list()
                .getItems())
        .as("Gleaner pods left in " + name)
        .allMatch(p -> p.getMetadata().getDeletionTimestamp() != null);

    // back, as a new member added at runtime
    Path again = dir.resolve(name + "-again.yaml");
    Files.writeString(
        again,
        spec.replaceAll(
                "(?m)^  (resourceVersion|uid|creationTimestamp|generation|deletion\\w+):.*\\n", "")
            .replaceAll("(?ms)^  finalizers:\\n(  - .*?\\n)+", "")
            .replaceAll("(?ms)^status:.*", ""));
    kubectl("apply", "-f", again.toString());
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> kubectl("get", "membercluster", name, "-o", "jsonpath={.metadata.finalizers}"),
            f -> f.contains("gleaner.io/member-pods"));
  }

  /**
   * The installed virtual-kubelet follows a GleanerPolicy changed with kubectl while it runs: under
   * the default {@code baseline} level a privileged pod is refused and a plain one runs; raised to
   * {@code restricted}, the same plain pod (root, no seccomp profile, capabilities kept) is refused
   * with Pod Security Admission's words. The level is put back for whatever runs after.
   */
  @Test
  @Order(7)
  void aGleanerPolicyChangedWithKubectlAppliesToTheNextPods() throws Exception {
    Path privileged = dir.resolve("privileged.yaml");
    Files.writeString(
        privileged,
        POD_YAML
            .formatted("privileged-1")
            .replace(
                "\n      resources:",
                "\n      securityContext: {privileged: true}\n      resources:"));
    assertThat(Files.readString(privileged)).contains("privileged: true");
    kubectl("apply", "-f", privileged.toString());
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> reason("privileged-1"), "PodSecurity"::equals);
    assertThat(message("privileged-1")).contains("privileged");

    patchPolicy("{\"spec\":{\"podSecurity\":\"restricted\"}}");
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () -> {
                String name = "plain-" + System.nanoTime();
                apply(name);
                await()
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> phase(name), p -> "Running".equals(p) || "Failed".equals(p));
                return "PodSecurity".equals(reason(name))
                    && message(name).contains("restricted")
                    && message(name).contains("runAsNonRoot");
              });
      // a pod that meets restricted runs, in a member namespace Gleaner created at baseline
      // before: the namespace follows the level (its Pod Security Admission label patched)
      Path compliant = dir.resolve("restricted-1.yaml");
      Files.writeString(
          compliant,
          POD_YAML
              .formatted("restricted-1")
              .replace(
                  "\n  restartPolicy: Never",
                  "\n  securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile:"
                      + " {type: RuntimeDefault}}\n  restartPolicy: Never")
              .replace(
                  "\n      resources:",
                  "\n      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop:"
                      + " [ALL]}}\n      resources:"));
      kubectl("apply", "-f", compliant.toString());
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> phase("restricted-1"), "Running"::equals);
      String uid =
          kubectl("-n", "team-a", "get", "pod", "restricted-1", "-o", "jsonpath={.metadata.uid}");
      List<String> levels = new ArrayList<>();
      for (SimulatedCluster m : sandbox.federation().members()) {
        for (Pod p :
            m.client()
                .pods()
                .inAnyNamespace()
                .withLabel("gleaner.io/meta-uid", uid)
                .list()
                .getItems()) {
          levels.add(
              m.client()
                  .namespaces()
                  .withName(p.getMetadata().getNamespace())
                  .get()
                  .getMetadata()
                  .getLabels()
                  .get("pod-security.kubernetes.io/enforce"));
        }
      }
      assertThat(levels).containsExactly("restricted");
    } finally {
      patchPolicy("{\"spec\":{\"podSecurity\":\"baseline\"}}");
    }
  }

  /**
   * A GleanerPolicy change made with kubectl (idleAfter and the reserve margins) is in force in
   * every replica of every installed service without a restart: each one's readiness names the new
   * generation, no process was started again, and the broker, the one status writer, reports it
   * observed and applied. The margins show in what the broker lends ({@code gleaner capacity}'s
   * call): raised from 10-15 % to 60 %, no (cluster, source) row keeps more than 40 % of its offer
   * free, and a row whose nodes hold less than that lends 40 % of what it is offered where it lent
   * 85-90 % before; both ratios are of one snapshot, so the churn of offers does not move them. The
   * policy is then put back and the broker is seen lending by the old margins again before the next
   * case. What idleAfter does once in force is tested by IdleDetectorIT: here no node is known to
   * become idle within the case, and a node the forecast lends early carries no sign of it.
   */
  @Test
  @Order(10)
  void everyServiceAppliesAGleanerPolicyChangeWithoutARestart() throws Exception {
    long t0 = System.nanoTime();
    String before = kubectl("get", "gleanerpolicy", "default", "-o", "json");
    JsonNode spec = new ObjectMapper().readTree(before).path("spec");
    EffectivePolicy old =
        Serialization.unmarshal(before, GleanerPolicy.class).getSpec().effective();
    Map<Long, String> pids = new java.util.HashMap<>();
    for (ServiceProcesses.Replica r : sandbox.processes().replicas()) {
      pids.put(r.pid(), r.name());
    }
    awaitLending(source -> old.reserveMargin(source), "the margins before the change");
    patchPolicy(
        "{\"spec\":{\"idleAfter\":\"7m\",\"reserveMargins\":"
            + "{\"IDLE\":0.6,\"VOLCANO\":0.6,\"COLOCATION\":0.6}}}");
    String generation =
        kubectl("get", "gleanerpolicy", "default", "-o", "jsonpath={.metadata.generation}");
    try {
      HttpClient http = HttpClient.newHttpClient();
      for (ServiceProcesses.Replica r : sandbox.processes().replicas()) {
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(300))
            .untilAsserted(
                () ->
                    assertThat(
                            http.send(
                                    HttpRequest.newBuilder(
                                            URI.create(
                                                "http://127.0.0.1:"
                                                    + r.ports().get("http")
                                                    + "/readyz"))
                                        .build(),
                                    HttpResponse.BodyHandlers.ofString())
                                .body())
                        .as("%s's readiness", r.name())
                        .contains("GleanerPolicy default generation " + generation + " in force"));
      }
      awaitAppliedByTheBroker(generation);
      awaitLending(source -> 0.6, "60 % margins");
      Map<Long, String> after = new java.util.HashMap<>();
      for (ServiceProcesses.Replica r : sandbox.processes().replicas()) {
        after.put(r.pid(), r.name());
      }
      assertThat(after).as("processes (pid to replica) after the change").isEqualTo(pids);
    } finally {
      patchPolicy(
          "{\"spec\":{\"idleAfter\":"
              + spec.path("idleAfter").toString()
              + ",\"reserveMargins\":"
              + (spec.has("reserveMargins") ? spec.get("reserveMargins").toString() : "null")
              + "}}");
    }
    // the cases after this one place by the old margins (case 11's 40-core pod would never fit a
    // 64-core node that keeps 60 % back)
    awaitAppliedByTheBroker(
        kubectl("get", "gleanerpolicy", "default", "-o", "jsonpath={.metadata.generation}"));
    awaitLending(source -> old.reserveMargin(source), "the margins put back");
    System.out.printf("[policy] case 10 took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
  }

  private static void awaitAppliedByTheBroker(String generation) {
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(300))
        .until(
            () ->
                kubectl(
                    "get",
                    "gleanerpolicy",
                    "default",
                    "-o",
                    "jsonpath={.status.observedGeneration}"
                        + " {.status.conditions[?(@.type==\"Applied\")].status}"),
            s -> s.equals(generation + " True"));
  }

  /**
   * Waits until the broker's capacity (what {@code gleaner capacity} prints, asked with the chart's
   * reader certificate) lends by {@code margin} per source: in every healthy row of an idle,
   * Volcano or co-location source with cpu offered, no more than {@code 1 - margin} of the offered
   * cpu is free (a margin is never lent), and in at least one such row free, reserved and placed
   * cpu together are {@code 1 - margin} of it (within 1 %), as in a row none of whose nodes holds
   * more than its share: a row's nodes never lend less than that, and more only where they hold
   * more.
   */
  private static void awaitLending(
      java.util.function.ToDoubleFunction<CapacitySource> margin, String what) {
    List<String> rows = new ArrayList<>();
    try {
      await("the broker lending by " + what)
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                rows.clear();
                boolean exact = false;
                boolean capped = true;
                for (ClusterCapacity r : brokerCapacity().getClustersList()) {
                  if (!r.getHealthy() || r.getSource() == SourceKind.ELASTIC) {
                    continue;
                  }
                  long offered = Resources.parse(r.getOfferedMap()).cpuMillis();
                  if (offered == 0) {
                    continue;
                  }
                  double share =
                      1 - margin.applyAsDouble(CapacitySource.valueOf(r.getSource().name()));
                  long free = Resources.parse(r.getFreeMap()).cpuMillis();
                  long lent =
                      free
                          + Resources.parse(r.getReservedMap()).cpuMillis()
                          + Resources.parse(r.getPlacedMap()).cpuMillis();
                  capped &= free <= share * offered + 1;
                  exact |= Math.abs(lent - share * offered) <= 0.01 * offered;
                  rows.add(
                      String.format(
                          java.util.Locale.ROOT,
                          "%s/%s offered %dm free %.2f lendable %.2f",
                          r.getCluster(),
                          r.getSource(),
                          offered,
                          (double) free / offered,
                          (double) lent / offered));
                }
                return capped && exact;
              });
    } finally {
      System.out.printf("[policy] %s: %s%n", what, rows);
    }
  }

  /** The broker's capacity, as {@code gleaner capacity} asks for it. */
  private static Capacity brokerCapacity() {
    BrokerApiClient client =
        BrokerApiClient.open(
            sandbox.brokerChannelSettings("install-it"), new SimpleMeterRegistry());
    try {
      return client.capacity();
    } finally {
      client.close();
    }
  }

  /**
   * The member added in case 6 while the services ran, registered with kubectl as README
   * "Deploying" step 2 says, is lent its idle nodes by the running idle-detector (the lent label on
   * them, as {@code kubectl get nodes -L gleaner.io/pool} shows), its offers reach the broker (its
   * IDLE row in {@code gleaner capacity}), and a pod applied with kubectl to the metadata cluster
   * that only its nodes can hold (40 cores) runs there, on a lent node.
   */
  @Test
  @Order(11)
  void aMemberAddedAtRuntimeIsLentItsIdleNodesAndRunsAPodOnlyItCanHold() throws Exception {
    Path admin = sandbox.federation().kubeconfigPath(ADDED.name());
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () ->
                InstallTools.kubectl(
                    admin, "get", "nodes", "-l", GleanerKeys.POOL + "=idle", "-o", "name"),
            lent -> !lent.isBlank());
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> offeredNodes(capacity(), ADDED.name(), "IDLE"), n -> n > 0);

    Path wide = dir.resolve("wide-1.yaml");
    Files.writeString(
        wide,
        POD_YAML
            .formatted("wide-1")
            .replace(
                "requests: {cpu: 500m, memory: 256Mi}", "requests: {cpu: \"40\", memory: 1Gi}"));
    kubectl("apply", "-f", wide.toString());
    try {
      wideRunsOnALentNodeOfTheAddedMember();
    } finally {
      // the member is left as it was for the cases after this one
      kubectl("-n", "team-a", "delete", "pod", "wide-1", "--wait=false");
    }
  }

  private static void wideRunsOnALentNodeOfTheAddedMember() throws Exception {
    long t0 = System.nanoTime();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> phase("wide-1"), p -> "Running".equals(p) || "Failed".equals(p));
    assertThat(phase("wide-1")).as("wide-1 (%s)", message("wide-1")).isEqualTo("Running");
    System.out.printf(
        "[added-1] wide-1 Running %d ms after it was applied%n",
        (System.nanoTime() - t0) / 1_000_000);
    KubernetesClient meta = sandbox.federation().meta().client();
    SimulatedCluster home = memberOf(meta, "wide-1");
    assertThat(home).isNotNull();
    assertThat(home.name()).isEqualTo(ADDED.name());
    String uid = meta.pods().inNamespace("team-a").withName("wide-1").get().getMetadata().getUid();
    Pod backing =
        home.client()
            .pods()
            .inAnyNamespace()
            .withLabel("gleaner.io/meta-uid", uid)
            .list()
            .getItems()
            .get(0);
    assertThat(
            home.client()
                .nodes()
                .withName(backing.getSpec().getNodeName())
                .get()
                .getMetadata()
                .getLabels())
        .as("labels of the node wide-1 runs on")
        .containsEntry(GleanerKeys.POOL, "idle");
  }

  /**
   * README "Deploying" step 2 with kubectl, for a member whose chart is installed: {@code kubectl
   * create secret generic <member>-kubeconfig --from-file=kubeconfig=...}, then {@code kubectl
   * apply -f <member>.yaml}.
   */
  private static void register(MemberRegistration r) throws Exception {
    Path kubeconfigFile = dir.resolve(r.member() + "-gleaner.kubeconfig");
    Files.writeString(kubeconfigFile, r.kubeconfig());
    kubectl(
        "-n",
        r.secret().getMetadata().getNamespace(),
        "create",
        "secret",
        "generic",
        r.secret().getMetadata().getName(),
        "--from-file=kubeconfig=" + kubeconfigFile);
    Path manifest = dir.resolve(r.member() + ".yaml");
    Files.writeString(manifest, Serialization.asYaml(r.memberCluster()));
    kubectl("apply", "-f", manifest.toString());
  }

  /** {@code gleaner capacity} against the installed broker, with the chart's reader certificate. */
  private static String capacity() {
    java.io.StringWriter out = new java.io.StringWriter();
    Path tls = sandbox.readerTls();
    int code =
        new picocli.CommandLine(new CapacityCommand())
            .setOut(new java.io.PrintWriter(out))
            .setErr(new java.io.PrintWriter(out))
            .execute(
                "--broker",
                sandbox.brokerTarget(),
                "--ca-file",
                tls.resolve("ca.crt").toString(),
                "--cert-file",
                tls.resolve("tls.crt").toString(),
                "--key-file",
                tls.resolve("tls.key").toString());
    assertThat(code).as("gleaner capacity: %s", out).isZero();
    return out.toString();
  }

  /**
   * The NODES column of {@code gleaner capacity}'s row of {@code cluster} and {@code source} when
   * that member is healthy; 0 without such a row.
   */
  static int offeredNodes(String capacityTable, String cluster, String source) {
    for (String line : capacityTable.lines().toList()) {
      String[] cols = line.trim().split("\\s+");
      if (cols.length > 3
          && cols[0].equals(cluster)
          && cols[1].equals(source)
          && cols[2].equals("yes")) {
        return Integer.parseInt(cols[3]);
      }
    }
    return 0;
  }

  /**
   * {@code kubectl patch gleanerpolicy default --type=merge -p <mergePatch>}, as an operator would.
   */
  private static void patchPolicy(String mergePatch) throws Exception {
    kubectl("patch", "gleanerpolicy", "default", "--type=merge", "-p", mergePatch);
  }

  private static String phase(String pod) throws Exception {
    return kubectl("-n", "team-a", "get", "pod", pod, "-o", "jsonpath={.status.phase}");
  }

  private static String reason(String pod) throws Exception {
    return kubectl("-n", "team-a", "get", "pod", pod, "-o", "jsonpath={.status.reason}");
  }

  /**
   * The member chart's ValidatingAdmissionPolicy is installed and enforced in every member (the
   * services' work above ran under it, refused nothing): a forged request with Gleaner's own member
   * credentials, which its ClusterRole allows, is refused with the policy's words when it touches
   * what is not Gleaner's (an online pod, a node's other label, taint or cordon, a member's
   * Secret), and a node annotation of Gleaner's own is still written.
   */
  @Test
  @Order(8)
  void gleanersMemberCredentialsAreRefusedWhatIsNotGleanersWork() throws Exception {
    assertThat(sandbox.notServed())
        .doesNotContain("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding");
    SimulatedCluster member = sandbox.federation().member("online-1");
    KubernetesClient admin = member.client();
    String kubeconfig = gleanerKubeconfig("online-1");
    Pod online =
        admin.pods().inAnyNamespace().list().getItems().stream()
            .filter(
                p ->
                    p.getMetadata().getLabels() == null
                        || !p.getMetadata().getLabels().containsKey("gleaner.io/managed"))
            .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
            .findFirst()
            .orElseThrow();
    String ns = online.getMetadata().getNamespace();
    String name = online.getMetadata().getName();
    String denied =
        "is forbidden: ValidatingAdmissionPolicy 'gleaner-member' with binding 'gleaner-member'"
            + " denied request: ";
    String node = member.nodeNames().get(0);
    try (KubernetesClient gleaner = member.apiServer().newClient(kubeconfig)) {
      // the policy matches only Gleaner's ServiceAccount: each refusal below shows the call was its
      assertRefused(
          () -> gleaner.pods().inNamespace(ns).withName(name).delete(),
          "pods \""
              + name
              + "\" "
              + denied
              + "Gleaner's identity creates, patches and deletes only Gleaner's pods"
              + " (labels gleaner.io/managed=true and gleaner.io/instance=gleaner)");
      // the patch the descheduler notes a guarantee's victim with, on an online pod
      assertRefused(
          () ->
              gleaner
                  .pods()
                  .inNamespace(ns)
                  .withName(name)
                  .patch(
                      io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                          io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                      "{\"metadata\":{\"annotations\":{\"gleaner.io/reclaim-reason\":"
                          + "\"TeamGuarantee\"}}}"),
          "pods \""
              + name
              + "\" "
              + denied
              + "Gleaner's identity creates, patches and deletes only Gleaner's pods");
      assertRefused(
          () -> gleaner.pods().inNamespace(ns).withName(name).evict(),
          "pods \""
              + name
              + "\" "
              + denied
              + "Gleaner's identity evicts, execs into and attaches to"
              + " only Gleaner's member pods");
      assertRefused(
          () ->
              patchNode(
                  gleaner,
                  node,
                  "{\"metadata\":{\"labels\":{\"topology.kubernetes.io/zone\":\"x\"}}}"),
          "nodes \""
              + node
              + "\" "
              + denied
              + "Gleaner's identity changes only node labels and annotations"
              + " under gleaner.io/");
      assertRefused(
          () -> patchNode(gleaner, node, "{\"spec\":{\"unschedulable\":true}}"),
          "nodes \"" + node + "\" " + denied + "Gleaner's identity never changes a node's spec");
      assertRefused(
          () ->
              patchNode(
                  gleaner,
                  node,
                  "{\"spec\":{\"taints\":[{\"key\":\"x\",\"effect\":\"NoSchedule\"}]}}"),
          "nodes \"" + node + "\" " + denied + "Gleaner's identity never changes a node's spec");
      admin
          .secrets()
          .inNamespace(ns)
          .resource(
              new io.fabric8.kubernetes.api.model.SecretBuilder()
                  .withNewMetadata()
                  .withName("members-own")
                  .endMetadata()
                  .addToStringData("password", "member")
                  .build())
          .create();
      assertRefused(
          () ->
              gleaner
                  .secrets()
                  .inNamespace(ns)
                  .resource(
                      takenOver(gleaner.secrets().inNamespace(ns).withName("members-own").get()))
                  .update(),
          "secrets \"members-own\" "
              + denied
              + "Gleaner's identity creates, updates and deletes only"
              + " Gleaner's ConfigMaps and Secrets");
      patchNode(
          gleaner, node, "{\"metadata\":{\"annotations\":{\"gleaner.io/install-it\":\"x\"}}}");
      patchNode(gleaner, node, "{\"metadata\":{\"annotations\":{\"gleaner.io/install-it\":null}}}");
    }
    assertThat(
            admin.pods().inNamespace(ns).withName(name).get().getMetadata().getDeletionTimestamp())
        .isNull();
    io.fabric8.kubernetes.api.model.Node n = admin.nodes().withName(node).get();
    assertThat(n.getSpec().getUnschedulable()).isNotEqualTo(Boolean.TRUE);
    assertThat(n.getSpec().getTaints()).noneMatch(t -> t.getKey().equals("x"));
    assertThat(
            admin.secrets().inNamespace(ns).withName("members-own").get().getMetadata().getLabels())
        .isNullOrEmpty();
    admin.secrets().inNamespace(ns).withName("members-own").delete();

    // and Gleaner's own member pod is still evicted with the same credentials, as the descheduler
    // does
    apply("evicted");
    KubernetesClient meta = sandbox.federation().meta().client();
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> memberOf(meta, "evicted") != null);
    SimulatedCluster home = memberOf(meta, "evicted");
    Pod mine =
        home.client()
            .pods()
            .inAnyNamespace()
            .withLabel(
                "gleaner.io/meta-uid",
                meta.pods().inNamespace("team-a").withName("evicted").get().getMetadata().getUid())
            .list()
            .getItems()
            .get(0);
    try (KubernetesClient gleaner = home.apiServer().newClient(gleanerKubeconfig(home.name()))) {
      assertThat(
              gleaner
                  .pods()
                  .inNamespace(mine.getMetadata().getNamespace())
                  .withName(mine.getMetadata().getName())
                  .evict())
          .isTrue();
    }
  }

  /**
   * Online work in a member that needs the node Gleaner's pod runs on: the installed descheduler
   * evicts Gleaner's pod (the metadata pod ends {@code Reclaimed}) and the webhook configured
   * through the chart's values receives the reclaim event, signed as the README documents
   * (HMAC-SHA256 over the timestamp, a dot and the body, with the key of the operator's Secret). A
   * changed body, a replay after the tolerance, a moved timestamp or another key do not verify.
   */
  @Test
  @Order(9)
  void onlineWorkOnGleanersNodeIsReclaimedAndTheWebhookGetsASignedEvent() throws Exception {
    // a pod that also asks for scratch space: on its node, only Gleaner's pods request
    // ephemeral-storage (the member's online service does not), so the room an online pod needs
    // there is known whatever that service does meanwhile
    Path scratch = dir.resolve("scratch-1.yaml");
    Files.writeString(
        scratch,
        POD_YAML
            .formatted("scratch-1")
            .replace(
                "requests: {cpu: 500m, memory: 256Mi}",
                "requests: {cpu: 500m, memory: 256Mi, ephemeral-storage: 10Gi}"));
    kubectl("apply", "-f", scratch.toString());
    KubernetesClient meta = sandbox.federation().meta().client();
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> memberOf(meta, "scratch-1") != null);
    SimulatedCluster member = memberOf(meta, "scratch-1");
    String metaUid =
        meta.pods().inNamespace("team-a").withName("scratch-1").get().getMetadata().getUid();
    Pod backing =
        member
            .client()
            .pods()
            .inAnyNamespace()
            .withLabel("gleaner.io/meta-uid", metaUid)
            .list()
            .getItems()
            .get(0);
    String node = backing.getSpec().getNodeName();
    long auditBefore =
        member.apiServer().security().audit().events().stream()
            .mapToLong(io.gleaner.sim.apiserver.audit.AuditEvent::seq)
            .max()
            .orElse(0);
    Path memberKubeconfig = sandbox.federation().kubeconfigPath(member.name());
    applyOnlinePodNeeding(member, node, "web-1", 0);
    try {
      try {
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(500))
            .until(() -> reclaimDelivery("web/web-1") != null);
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        diagnose(memberKubeconfig, node);
        throw e;
      }
      Delivery d = reclaimDelivery("web/web-1");
      JsonNode event = new ObjectMapper().readTree(d.body());
      assertThat(event.path("cluster").asText()).isEqualTo(member.name());
      assertThat(event.path("node").asText()).isEqualTo(node);
      assertThat(event.path("reason").asText()).isEqualTo("Unschedulable");
      assertThat(event.path("victims").findValuesAsText("metaPodUid")).containsExactly(metaUid);
      assertThat(d.headers().getFirst("X-Gleaner-Event")).isEqualTo("reclaim");
      assertThat(d.headers().getFirst("X-Gleaner-Delivery")).isEqualTo(event.path("id").asText());

      String signature = d.headers().getFirst(Signatures.HEADER);
      Instant now = Instant.now();
      Duration tolerance = Signatures.DEFAULT_TOLERANCE;
      assertThat(Signatures.verify(WEBHOOK_KEY, d.body(), signature, now, tolerance))
          .as("the signature verifies with the key of the operator's Secret: %s", signature)
          .isTrue();
      byte[] tampered =
          new String(d.body(), StandardCharsets.UTF_8)
              .replace(node, node + "x")
              .getBytes(StandardCharsets.UTF_8);
      assertThat(Signatures.verify(WEBHOOK_KEY, tampered, signature, now, tolerance))
          .as("a changed body")
          .isFalse();
      assertThat(
              Signatures.verify(
                  WEBHOOK_KEY, d.body(), signature, now.plus(Duration.ofMinutes(10)), tolerance))
          .as("the same delivery replayed ten minutes later")
          .isFalse();
      long t = Long.parseLong(signature.replaceAll(".*t=(\\d+).*", "$1"));
      assertThat(
              Signatures.verify(
                  WEBHOOK_KEY,
                  d.body(),
                  signature.replace("t=" + t, "t=" + (t + 600)),
                  now.plus(Duration.ofMinutes(10)),
                  tolerance))
          .as("its timestamp moved to pass as fresh later")
          .isFalse();
      assertThat(Signatures.verify("another-key", d.body(), signature, now, tolerance))
          .as("another key")
          .isFalse();

      // the README's word for it: the metadata pod ends Failed with reason Reclaimed
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> reason("scratch-1"), "Reclaimed"::equals);
      assertThat(phase("scratch-1")).isEqualTo("Failed");
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () ->
                  InstallTools.kubectl(
                      memberKubeconfig,
                      "-n",
                      "web",
                      "get",
                      "pod",
                      "web-1",
                      "-o",
                      "jsonpath={.status.phase}"),
              "Running"::equals);
      // least privilege, measured for the reclaim: its calls in the member (the eviction among
      // them) were refused nothing
      List<io.gleaner.sim.apiserver.audit.AuditEvent> audit =
          member.apiServer().security().audit().events().stream()
              .filter(e -> e.seq() > auditBefore)
              .toList();
      RbacUsage.Report reclaim =
          RbacUsage.analyze(sandbox.memberRendered(), sandbox.memberIdentities(), audit);
      assertThat(reclaim.used().values().stream().flatMap(java.util.Set::stream))
          .contains("create core/pods/eviction");
      assertThat(reclaim.refused()).isEmpty();
    } finally {
      InstallTools.kubectl(memberKubeconfig, "-n", "web", "delete", "pod", "web-1", "--wait=false");
    }
  }

  /**
   * Issue 17's "Done when": a Volcano training gang submitted to the metadata cluster with kubectl
   * (a PodGroup of minMember 3 and its three pods) runs whole in one member, each member pod
   * carrying the gang for the descheduler; online work that needs the room of one of its pods
   * reclaims the whole gang, on every node, in one decision: the reclaim event names all three
   * pods, every metadata pod ends {@code Reclaimed}, no member pod of the gang is left, and no
   * reclaim event ever names a part of the gang. Without the gang rule the descheduler would evict
   * that one pod alone.
   */
  @Test
  @Order(12)
  void aVolcanoGangAppliedWithKubectlRunsWholeInOneMemberAndIsReclaimedWhole() throws Exception {
    String gang = "train-11";
    List<String> workers = List.of(gang + "-w0", gang + "-w1", gang + "-w2");
    StringBuilder yaml =
        new StringBuilder(
            """
            apiVersion: scheduling.volcano.sh/v1beta1
            kind: PodGroup
            metadata: {name: %s, namespace: team-a}
            spec: {minMember: 3}
            """
                .formatted(gang));
    for (String w : workers) {
      yaml.append("---\n")
          .append(
              POD_YAML
                  .formatted(w)
                  .replace(
                      "    gleaner.io/class: offline\n",
                      "    gleaner.io/class: offline\n  annotations:\n"
                          + "    scheduling.k8s.io/group-name: "
                          + gang
                          + "\n")
                  .replace(
                      "requests: {cpu: 500m, memory: 256Mi}",
                      "requests: {cpu: 500m, memory: 256Mi, ephemeral-storage: 4Gi}"));
    }
    Path file = dir.resolve(gang + ".yaml");
    Files.writeString(file, yaml.toString());
    kubectl("apply", "-f", file.toString());
    KubernetesClient meta = sandbox.federation().meta().client();
    try {
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> workers.stream().allMatch(w -> memberOf(meta, w) != null));
      SimulatedCluster member = memberOf(meta, workers.get(0));
      List<String> uids = new ArrayList<>();
      List<Pod> backing = new ArrayList<>();
      for (String w : workers) {
        assertThat(memberOf(meta, w)).as("member of %s", w).isSameAs(member);
        String uid = meta.pods().inNamespace("team-a").withName(w).get().getMetadata().getUid();
        uids.add(uid);
        backing.add(
            member
                .client()
                .pods()
                .inAnyNamespace()
                .withLabel("gleaner.io/meta-uid", uid)
                .list()
                .getItems()
                .get(0));
      }
      assertThat(backing)
          .as("each member pod carries its gang for the descheduler")
          .allSatisfy(
              p ->
                  assertThat(p.getMetadata().getAnnotations())
                      .containsEntry("gleaner.io/gang", "team-a/" + gang)
                      .containsEntry("gleaner.io/gang-min-member", "3")
                      .containsEntry("gleaner.io/gang-members", "3"));
      System.out.println(
          "[install] gang "
              + gang
              + " runs in "
              + member.name()
              + " on "
              + backing.stream().map(p -> p.getSpec().getNodeName()).toList());

      // the online pod needs the room of one gang pod on that node: a reclaim blind to gangs
      // would take that pod alone
      String node = backing.get(0).getSpec().getNodeName();
      long onNode = backing.stream().filter(p -> node.equals(p.getSpec().getNodeName())).count();
      applyOnlinePodNeeding(member, node, "web-2", (onNode - 1) * bytes(new Quantity("4Gi")));
      try {
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(500))
            .until(() -> reclaimDelivery("web/web-2") != null);
        JsonNode event = new ObjectMapper().readTree(reclaimDelivery("web/web-2").body());
        assertThat(event.path("cluster").asText()).isEqualTo(member.name());
        assertThat(event.path("victims").findValuesAsText("metaPodUid"))
            .as("the reclaim takes the whole gang, its pods on other nodes too")
            .containsExactlyInAnyOrderElementsOf(uids);
        for (String w : workers) {
          await()
              .atMost(Duration.ofSeconds(60))
              .pollInterval(Duration.ofMillis(500))
              .until(() -> reason(w), "Reclaimed"::equals);
          assertThat(phase(w)).as(w).isEqualTo("Failed");
        }
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(500))
            .until(
                () ->
                    sandbox.federation().members().stream()
                        .flatMap(
                            c ->
                                uids.stream()
                                    .flatMap(
                                        uid ->
                                            c
                                                .client()
                                                .pods()
                                                .inAnyNamespace()
                                                .withLabel("gleaner.io/meta-uid", uid)
                                                .list()
                                                .getItems()
                                                .stream()))
                        .findAny()
                        .isEmpty());
        // never a part: every reclaim event that names a pod of the gang names all of it
        for (Delivery d : deliveries) {
          List<String> named =
              new ObjectMapper()
                  .readTree(d.body()).path("victims").findValuesAsText("metaPodUid").stream()
                      .filter(uids::contains)
                      .toList();
          assertThat(named.size())
              .as(
                  "pods of the gang named by reclaim event %s",
                  d.headers().getFirst("X-Gleaner-Delivery"))
              .isIn(0, uids.size());
        }
      } finally {
        InstallTools.kubectl(
            sandbox.federation().kubeconfigPath(member.name()),
            "-n",
            "web",
            "delete",
            "pod",
            "web-2",
            "--wait=false");
      }
    } finally {
      kubectl("delete", "-f", file.toString(), "--wait=false");
    }
  }

  /**
   * What a failed reclaim leaves to look at: the online pod, the node's pods, the descheduler's.
   */
  private static void diagnose(Path memberKubeconfig, String node) {
    for (String[] args :
        List.of(
            new String[] {"-n", "web", "get", "pod", "web-1", "-o", "yaml"},
            new String[] {
              "get", "pods", "-A", "-o", "wide", "--field-selector", "spec.nodeName=" + node
            },
            new String[] {"get", "events", "-A"},
            new String[] {"get", "node", node, "-o", "yaml"})) {
      try {
        System.out.println(
            "[diagnose] kubectl "
                + String.join(" ", args)
                + "\n"
                + InstallTools.kubectl(memberKubeconfig, args));
      } catch (Exception e) {
        System.out.println("[diagnose] " + e);
      }
    }
    for (ServiceProcesses.Replica r : sandbox.processes().replicas()) {
      if (!r.name().startsWith("descheduler")) {
        continue;
      }
      try {
        String metrics =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + r.ports().get("http") + "/metrics"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        metrics
            .lines()
            .filter(l -> l.startsWith("gleaner_") && !l.contains("_bucket"))
            .forEach(l -> System.out.println("[diagnose] " + r.name() + " " + l));
      } catch (Exception e) {
        System.out.println("[diagnose] " + e);
      }
    }
  }

  /** The webhook delivery of the reclaim for the online pod {@code onlinePod}, or null. */
  private static Delivery reclaimDelivery(String onlinePod) throws Exception {
    for (Delivery d : deliveries) {
      JsonNode e = new ObjectMapper().readTree(d.body());
      for (JsonNode online : e.path("onlinePods")) {
        if (online.asText().equals(onlinePod)) {
          return d;
        }
      }
    }
    return null;
  }

  /**
   * Applies, with kubectl in {@code member}, an online pod {@code web/<name>} pinned to {@code
   * node} that fits there only once Gleaner's pods on it keep no more than {@code leftToGleaner}
   * bytes of scratch space: on a member node only Gleaner's pods request ephemeral-storage (the
   * member's online service does not), so the room it needs is known whatever that service does
   * meanwhile. Its PriorityClass does not preempt: the member's scheduler does not evict Gleaner's
   * pods itself (it would with native preemption), so making room is the descheduler's reclaim.
   */
  private static void applyOnlinePodNeeding(
      SimulatedCluster member, String node, String name, long leftToGleaner) throws Exception {
    long others =
        member
            .client()
            .pods()
            .inAnyNamespace()
            .withField("spec.nodeName", node)
            .list()
            .getItems()
            .stream()
            .filter(
                p ->
                    p.getMetadata().getLabels() == null
                        || !"true".equals(p.getMetadata().getLabels().get("gleaner.io/managed")))
            .filter(
                p ->
                    !"Succeeded".equals(p.getStatus().getPhase())
                        && !"Failed".equals(p.getStatus().getPhase()))
            .mapToLong(p -> requested(p, "ephemeral-storage"))
            .sum();
    long room =
        bytes(
                member
                    .client()
                    .nodes()
                    .withName(node)
                    .get()
                    .getStatus()
                    .getAllocatable()
                    .get("ephemeral-storage"))
            - others
            - leftToGleaner;
    Path online = dir.resolve("online-" + name + ".yaml");
    Files.writeString(
        online,
        """
        apiVersion: scheduling.k8s.io/v1
        kind: PriorityClass
        metadata: {name: online-nonpreempting}
        value: 1000
        preemptionPolicy: Never
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: web}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: %s, namespace: web}
        spec:
          priorityClassName: online-nonpreempting
          nodeSelector: {kubernetes.io/hostname: %s}
          containers:
            - name: web
              image: nginx:1.27
              resources:
                requests: {cpu: 100m, memory: 64Mi, ephemeral-storage: "%d"}
        """
            .formatted(name, node, room));
    InstallTools.kubectl(
        sandbox.federation().kubeconfigPath(member.name()), "apply", "-f", online.toString());
  }

  private static long bytes(io.fabric8.kubernetes.api.model.Quantity q) {
    return io.fabric8.kubernetes.api.model.Quantity.getAmountInBytes(q).longValue();
  }

  /** What the containers of {@code p} request of {@code resource}, in its base unit. */
  private static long requested(Pod p, String resource) {
    long sum = 0;
    for (var c : p.getSpec().getContainers()) {
      var requests = c.getResources() == null ? null : c.getResources().getRequests();
      if (requests != null && requests.get(resource) != null) {
        sum += bytes(requests.get(resource));
      }
    }
    return sum;
  }

  /** {@code secret} with Gleaner's labels written on it (ObjectSync updates with PUT). */
  private static io.fabric8.kubernetes.api.model.Secret takenOver(
      io.fabric8.kubernetes.api.model.Secret secret) {
    secret
        .getMetadata()
        .setLabels(Map.of("gleaner.io/managed", "true", "gleaner.io/instance", "gleaner"));
    return secret;
  }

  /** The kubeconfig Gleaner was registered with for {@code member} (its member chart's token). */
  private static String gleanerKubeconfig(String member) {
    io.fabric8.kubernetes.api.model.Secret registered =
        sandbox
            .federation()
            .meta()
            .client()
            .secrets()
            .inNamespace(Sandbox.NAMESPACE)
            .withName(member + "-kubeconfig")
            .get();
    return registered.getData() != null && registered.getData().containsKey("kubeconfig")
        ? new String(
            java.util.Base64.getDecoder().decode(registered.getData().get("kubeconfig")),
            java.nio.charset.StandardCharsets.UTF_8)
        : registered.getStringData().get("kubeconfig");
  }

  /** As the idle-detector patches: no GET first (Gleaner may not get a node). */
  private static void patchNode(KubernetesClient c, String node, String patch) {
    c.nodes()
        .resource(
            new io.fabric8.kubernetes.api.model.NodeBuilder()
                .withNewMetadata()
                .withName(node)
                .endMetadata()
                .build())
        .patch(
            io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
            patch);
  }

  private static void assertRefused(Runnable call, String message) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            io.fabric8.kubernetes.client.KubernetesClientException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(403);
              assertThat(e.getStatus().getReason()).isEqualTo("Forbidden");
              assertThat(e.getStatus().getMessage()).startsWith(message);
            });
  }

  /**
   * Tenant isolation in the installed product (SECURITY.md, "tenant isolation in members"): every
   * member holds its own Secret {@code db-creds} in the namespace that {@code team-a} maps to. A
   * tenant pod that mounts {@code db-creds} without bringing it fails with {@code
   * ReferenceNotFound} instead of being given the member's; once the tenant brings its own {@code
   * db-creds}, the next pod fails with {@code ReferenceConflict}, and the member's Secret is
   * unchanged in every member.
   */
  @Test
  @Order(13)
  void aTenantPodMountsNoMemberSecretItDidNotBringAndOverwritesNone() throws Exception {
    String namespace = "gleaner-team-a";
    for (SimulatedCluster m : sandbox.federation().members()) {
      KubernetesClient c = m.client();
      if (c.namespaces().withName(namespace).get() == null) {
        c.namespaces()
            .resource(
                new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                    .withNewMetadata()
                    .withName(namespace)
                    .endMetadata()
                    .build())
            .create();
      }
      c.secrets()
          .inNamespace(namespace)
          .resource(
              new io.fabric8.kubernetes.api.model.SecretBuilder()
                  .withNewMetadata()
                  .withName("db-creds")
                  .endMetadata()
                  .addToStringData("password", "the member's own")
                  .build())
          .create();
    }
    applyMounting("mounts-missing", "db-creds");
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> reason("mounts-missing"), "ReferenceNotFound"::equals);
    assertThat(phase("mounts-missing")).isEqualTo("Failed");
    assertThat(message("mounts-missing")).contains("db-creds");

    kubectl(
        "-n",
        "team-a",
        "create",
        "secret",
        "generic",
        "db-creds",
        "--from-literal=password=tenant");
    applyMounting("mounts-conflict", "db-creds");
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> reason("mounts-conflict"), "ReferenceConflict"::equals);
    assertThat(phase("mounts-conflict")).isEqualTo("Failed");
    for (SimulatedCluster m : sandbox.federation().members()) {
      io.fabric8.kubernetes.api.model.Secret own =
          m.client().secrets().inNamespace(namespace).withName("db-creds").get();
      assertThat(new String(java.util.Base64.getDecoder().decode(own.getData().get("password"))))
          .as("the member's own db-creds in %s", m.name())
          .isEqualTo("the member's own");
      assertThat(own.getMetadata().getLabels()).as("labels in %s", m.name()).isNullOrEmpty();
      assertThat(
              m
                  .client()
                  .pods()
                  .inAnyNamespace()
                  .withLabel("gleaner.io/managed", "true")
                  .list()
                  .getItems()
                  .stream()
                  .filter(p -> p.getSpec().getVolumes() != null)
                  .flatMap(p -> p.getSpec().getVolumes().stream())
                  .filter(v -> v.getSecret() != null)
                  .map(v -> v.getSecret().getSecretName()))
          .as("secrets mounted by Gleaner's pods in %s", m.name())
          .doesNotContain("db-creds");
    }
  }

  /**
   * A deadline set with kubectl on a running pod ends it there, as a kubelet on a real node would:
   * the virtual-kubelet gives it to the member pod (a patch the member chart's RBAC and admission
   * policy allow Gleaner), whose kubelet fails the pod at it.
   */
  @Test
  @Order(14)
  void aDeadlineSetWithKubectlOnARunningPodEndsItThere() throws Exception {
    apply("deadline-1");
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> phase("deadline-1"), "Running"::equals);

    kubectl(
        "-n",
        "team-a",
        "patch",
        "pod",
        "deadline-1",
        "-p",
        "{\"spec\":{\"activeDeadlineSeconds\":1}}");

    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> reason("deadline-1"), "DeadlineExceeded"::equals);
    assertThat(phase("deadline-1")).isEqualTo("Failed");
    assertThat(message("deadline-1"))
        .isEqualTo("Pod was active on the node longer than the specified deadline");
  }

  /** Applies a pod of {@link #POD_YAML} that mounts Secret {@code secret}. */
  private static void applyMounting(String name, String secret) throws Exception {
    Path file = dir.resolve(name + ".yaml");
    Files.writeString(
        file,
        POD_YAML
            .formatted(name)
            .replace(
                "\n      resources:",
                "\n      volumeMounts: [{name: creds, mountPath: /creds}]\n      resources:")
            .replace(
                "\n  restartPolicy: Never",
                "\n  volumes: [{name: creds, secret: {secretName: "
                    + secret
                    + "}}]"
                    + "\n  restartPolicy: Never"));
    kubectl("apply", "-f", file.toString());
  }

  private static String message(String pod) throws Exception {
    return kubectl("-n", "team-a", "get", "pod", pod, "-o", "jsonpath={.status.message}");
  }

  /** The member cluster whose pods back metadata pod {@code name}, or null. */
  private static SimulatedCluster memberOf(KubernetesClient meta, String name) {
    Pod pod = meta.pods().inNamespace("team-a").withName(name).get();
    if (pod == null) {
      return null;
    }
    for (SimulatedCluster c : sandbox.federation().members()) {
      boolean running =
          c
              .client()
              .pods()
              .inAnyNamespace()
              .withLabel("gleaner.io/meta-uid", pod.getMetadata().getUid())
              .list()
              .getItems()
              .stream()
              .anyMatch(p -> "Running".equals(p.getStatus().getPhase()));
      if (running) {
        return c;
      }
    }
    return null;
  }

  private static void apply(String name) throws Exception {
    Path file = dir.resolve(name + ".yaml");
    Files.writeString(file, POD_YAML.formatted(name));
    kubectl("apply", "-f", file.toString());
  }

  /** Runs the real kubectl with the sandbox's admin kubeconfig; returns its output. */
  static String kubectl(String... args) throws Exception {
    return InstallTools.kubectl(kubeconfig, args);
  }
}
