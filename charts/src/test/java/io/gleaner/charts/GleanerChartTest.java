package io.gleaner.charts;

import static io.gleaner.charts.RenderedChart.GLEANER;
import static io.gleaner.charts.RenderedChart.NAMESPACE;
import static io.gleaner.charts.RenderedChart.render;
import static io.gleaner.charts.RenderedChart.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Renders and lints charts/gleaner (the metadata cluster chart) and checks the objects it produces.
 */
class GleanerChartTest {

  private static final String PREFIX = "glean-gleaner-";
  private static final List<String> SERVICES =
      List.of("broker", "idle-detector", "virtual-kubelet", "descheduler");
  private static final Map<String, String> VALUES_KEY =
      Map.of(
          "broker",
          "broker",
          "idle-detector",
          "idleDetector",
          "virtual-kubelet",
          "virtualKubelet",
          "descheduler",
          "descheduler");

  private static Deployment deployment(RenderedChart chart, String service) {
    return chart.get(Deployment.class, PREFIX + service);
  }

  private static Container container(RenderedChart chart, String service) {
    return deployment(chart, service).getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  private static List<PolicyRule> clusterRules(RenderedChart chart, String service) {
    return chart.get(ClusterRole.class, PREFIX + service).getRules();
  }

  @Test
  void lintsCleanInStrictMode() {
    LintResult result = new Helm(GLEANER).lint().strict().call();

    assertThat(result.isFailed()).as("lint messages: %s", result.getMessages()).isFalse();
    assertThat(result.getMessages())
        .noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
  }

  @Test
  void shipsTheMemberClusterAndGleanerPolicyCrds() throws IOException {
    List<CustomResourceDefinition> crds = new ArrayList<>();
    try (Stream<Path> files = Files.list(GLEANER.resolve("crds"))) {
      for (Path file : files.filter(f -> f.toString().matches(".*\\.ya?ml")).sorted().toList()) {
        crds.add(Serialization.unmarshal(Files.readString(file), CustomResourceDefinition.class));
      }
    }
    assertThat(crds)
        .extracting(c -> c.getMetadata().getName())
        .contains("memberclusters.gleaner.io", "gleanerpolicies.gleaner.io");
    assertThat(crds)
        .allSatisfy(
            c -> {
              assertThat(c.getSpec().getGroup()).isEqualTo("gleaner.io");
              assertThat(c.getSpec().getVersions())
                  .anyMatch(v -> v.getName().equals("v1alpha1") && v.getServed());
            });
  }

  @Nested
  class Defaults {

    private final RenderedChart chart = render(GLEANER);

    @Test
    void oneDeploymentPerServiceWithOneReplicaAndAWarmStandbyForTheVirtualKubelet() {
      assertThat(chart.all(Deployment.class))
          .extracting(d -> d.getMetadata().getName())
          .containsExactlyInAnyOrder(SERVICES.stream().map(s -> PREFIX + s).toArray(String[]::new));
      for (String service : SERVICES) {
        Deployment deployment = deployment(chart, service);
        assertThat(deployment.getSpec().getReplicas())
            .as(service)
            .isEqualTo("virtual-kubelet".equals(service) ? 2 : 1);
        assertThat(deployment.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertThat(deployment.getSpec().getTemplate().getSpec().getServiceAccountName())
            .isEqualTo(PREFIX + service);
      }
    }

    @Test
    void eachServiceRunsTheOneImageWithItsSubcommandAndLeaderElection() {
      for (String service : SERVICES) {
        Container container = container(chart, service);
        assertThat(container.getImage()).isEqualTo("gleaner:0.1.0");
        assertThat(container.getArgs())
            .as(service)
            .startsWith(service)
            .contains(
                "--config=/etc/gleaner/config.yaml",
                "--leader-elect=true",
                "--zk-namespace=gleaner",
                "--metrics-bind-address=0.0.0.0:8080",
                "--instance=glean");
      }
    }

    @Test
    void podsAreLockedDown() {
      for (String service : SERVICES) {
        PodSpec pod = deployment(chart, service).getSpec().getTemplate().getSpec();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).as(service).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(65532L);
        assertThat(pod.getSecurityContext().getSeccompProfile().getType())
            .isEqualTo("RuntimeDefault");
        Container container = pod.getContainers().get(0);
        assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).as(service).isTrue();
        assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(container.getSecurityContext().getPrivileged()).isFalse();
        assertThat(container.getSecurityContext().getCapabilities().getDrop())
            .containsExactly("ALL");
        assertThat(container.getSecurityContext().getCapabilities().getAdd()).isNullOrEmpty();
        // A read-only root needs a writable /tmp for the JVM.
        assertThat(container.getVolumeMounts()).anyMatch(m -> m.getMountPath().equals("/tmp"));
      }
    }

    @Test
    void resourcesAreBoundedAndProbesUseTheHealthEndpoints() {
      for (String service : SERVICES) {
        Container container = container(chart, service);
        assertThat(container.getResources().getRequests())
            .as(service)
            .containsKeys("cpu", "memory");
        // sizes: ChartResourcesTest
        assertThat(container.getResources().getLimits()).containsKey("memory");
        assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(container.getStartupProbe()).isNotNull();
      }
    }

    @Test
    void brokerServesGrpcAndHttpAndTheVirtualKubeletTheKubeletPort() {
      Service broker = chart.get(Service.class, PREFIX + "broker");
      assertThat(broker.getSpec().getPorts())
          .extracting(ServicePort::getName, ServicePort::getPort)
          .containsExactlyInAnyOrder(
              org.assertj.core.groups.Tuple.tuple("grpc", 9090),
              org.assertj.core.groups.Tuple.tuple("http", 8080));
      assertThat(container(chart, "virtual-kubelet").getPorts())
          .anyMatch(p -> p.getName().equals("kubelet") && p.getContainerPort() == 10250);
      assertThat(
              chart.get(ConfigMap.class, PREFIX + "virtual-kubelet").getData().get("config.yaml"))
          .contains("brokerAddress: glean-gleaner-broker.gleaner-system.svc:9090")
          .contains("nodeName: gleaner")
          .contains("kubeletPort: 10250");
      assertThat(chart.get(ConfigMap.class, PREFIX + "broker").getData().get("config.yaml"))
          .contains("port: 9090")
          .doesNotContain("brokerAddress");
    }

    @Test
    void configIsMountedAndItsChecksumAnnotated() {
      for (String service : SERVICES) {
        ConfigMap config = chart.get(ConfigMap.class, PREFIX + service);
        assertThat(config.getData().get("config.yaml")).contains(VALUES_KEY.get(service) + ":");
        assertThat(
                deployment(chart, service).getSpec().getTemplate().getMetadata().getAnnotations())
            .hasEntrySatisfying("checksum/config", sum -> assertThat(sum).matches("[0-9a-f]{64}"));
      }
    }

    @Test
    void bundledZooKeeperIsAThreeReplicaStatefulSet() {
      StatefulSet zk = chart.get(StatefulSet.class, PREFIX + "zookeeper");
      assertThat(zk.getSpec().getReplicas()).isEqualTo(3);
      Container container = zk.getSpec().getTemplate().getSpec().getContainers().get(0);
      assertThat(container.getImage()).isEqualTo("zookeeper:3.9.3");
      assertThat(container.getEnv())
          .anyMatch(
              e ->
                  e.getName().equals("ZOO_SERVERS")
                      && e.getValue()
                          .contains(
                              "server.3=glean-gleaner-zookeeper-2.glean-gleaner-zookeeper-headless"));
      assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
      // The image's config dir is read-only here; both variables must point at the writable copy.
      assertThat(String.join(" ", container.getCommand()))
          .contains("ZOO_CONF_DIR=/zk-conf", "ZOOCFGDIR=/zk-conf");
      assertThat(container.getVolumeMounts()).anyMatch(m -> m.getMountPath().equals("/zk-conf"));
      assertThat(
              chart
                  .get(Service.class, PREFIX + "zookeeper-headless")
                  .getSpec()
                  .getPublishNotReadyAddresses())
          .isTrue();
      assertThat(chart.has("PodDisruptionBudget", PREFIX + "zookeeper")).isTrue();
      assertThat(container(chart, "broker").getArgs())
          .contains("--zk-connect=glean-gleaner-zookeeper.gleaner-system.svc:2281");
    }

    @Test
    void noServiceMonitorsAndNoPodDisruptionBudgetsForServices() {
      assertThat(chart.ofKind("ServiceMonitor")).isEmpty();
      assertThat(chart.all(PodDisruptionBudget.class))
          .extracting(p -> p.getMetadata().getName())
          .containsExactly(PREFIX + "zookeeper");
    }

    @Test
    void metricsAreExposedForScraping() {
      for (String service : SERVICES) {
        Service svc = chart.get(Service.class, PREFIX + service);
        assertThat(svc.getMetadata().getAnnotations())
            .containsEntry("prometheus.io/scrape", "true");
        assertThat(svc.getSpec().getPorts()).anyMatch(p -> p.getName().equals("http"));
      }
    }
  }

  @Nested
  class LeastPrivilegeRbac {

    private final RenderedChart chart = render(GLEANER);

    @Test
    void noWildcardsAnywhere() {
      List<PolicyRule> rules = new ArrayList<>();
      chart.all(ClusterRole.class).forEach(r -> rules.addAll(r.getRules()));
      chart.all(Role.class).forEach(r -> rules.addAll(r.getRules()));
      assertThat(rules).isNotEmpty();
      assertThat(Rbac.allTokens(rules)).doesNotContain("*");
    }

    @Test
    void everyServiceAccountIsBoundToItsOwnRole() {
      for (String service : SERVICES) {
        ClusterRoleBinding binding = chart.get(ClusterRoleBinding.class, PREFIX + service);
        assertThat(binding.getRoleRef().getName()).isEqualTo(PREFIX + service);
        assertThat(binding.getSubjects())
            .singleElement()
            .satisfies(
                s -> {
                  assertThat(s.getName()).isEqualTo(PREFIX + service);
                  assertThat(s.getNamespace()).isEqualTo(NAMESPACE);
                });
      }
    }

    @Test
    void virtualKubeletOwnsOnlyItsNodeAndLease() {
      Set<String> vk = Rbac.permissions(clusterRules(chart, "virtual-kubelet"));
      assertThat(vk)
          .contains(
              "/nodes:create",
              "/nodes[gleaner]:get",
              "/nodes[gleaner]:patch",
              "/nodes/status[gleaner]:patch",
              "/pods:watch",
              "/pods:delete",
              "/pods/status:patch",
              "/configmaps:get",
              "/secrets:watch",
              "authentication.k8s.io/tokenreviews:create",
              "authorization.k8s.io/subjectaccessreviews:create",
              "/events:create",
              "gleaner.io/memberclusters:list",
              "scheduling.volcano.sh/podgroups:get",
              "scheduling.x-k8s.io/podgroups:get");
      assertThat(vk)
          .doesNotContain(
              "/nodes:update",
              "/nodes:patch",
              "/nodes:delete",
              "/nodes:watch",
              "/nodes[gleaner]:delete",
              "/pods:update",
              "/pods/status:update",
              "/configmaps:watch",
              "events.k8s.io/events:create",
              "/pods:create",
              "/secrets:create",
              "/secrets:update",
              "/configmaps:update",
              "certificates.k8s.io/certificatesigningrequests:create",
              "scheduling.volcano.sh/podgroups:list",
              "scheduling.volcano.sh/podgroups:create",
              "scheduling.x-k8s.io/podgroups:list");
      Role lease = chart.get(Role.class, PREFIX + "virtual-kubelet-node-lease");
      assertThat(lease.getMetadata().getNamespace()).isEqualTo("kube-node-lease");
      assertThat(Rbac.permissions(lease.getRules()))
          .containsExactlyInAnyOrder(
              "coordination.k8s.io/leases:create",
              "coordination.k8s.io/leases[gleaner]:get",
              "coordination.k8s.io/leases[gleaner]:update");
      assertThat(
              chart
                  .get(RoleBinding.class, PREFIX + "virtual-kubelet-node-lease")
                  .getRoleRef()
                  .getName())
          .isEqualTo(PREFIX + "virtual-kubelet-node-lease");
    }

    @Test
    void brokerReadsMembersAndPoliciesAndWritesOnlyThePolicyStatus() {
      Set<String> broker = Rbac.permissions(clusterRules(chart, "broker"));
      assertThat(broker)
          .contains(
              "gleaner.io/gleanerpolicies:get",
              "gleaner.io/memberclusters:watch",
              "gleaner.io/gleanerpolicies:list",
              "gleaner.io/gleanerpolicies/status:patch")
          .noneMatch(p -> p.startsWith("gleaner.io/memberclusters/status"));
      assertThat(broker)
          .noneMatch(
              p ->
                  p.startsWith("/secrets")
                      || p.startsWith("/nodes")
                      || p.startsWith("kueue.x-k8s.io"));
      // the pods waiting on the virtual node count in each team's share: read only
      assertThat(broker.stream().filter(p -> p.startsWith("/pods")))
          .containsExactlyInAnyOrder("/pods:list", "/pods:watch");
      assertThat(broker)
          .doesNotContain("gleaner.io/memberclusters:update", "gleaner.io/memberclusters:delete");
    }

    @Test
    void theKueueControllerGetsItsKueueRightsOnlyWhenEnabled() {
      RenderedChart kueue = render(GLEANER, values("broker.config.kueue.enabled", true));
      Set<String> broker = Rbac.permissions(clusterRules(kueue, "broker"));
      assertThat(broker)
          .contains(
              "kueue.x-k8s.io/resourceflavors:list",
              "kueue.x-k8s.io/clusterqueues:list",
              "kueue.x-k8s.io/clusterqueues:update")
          .doesNotContain("kueue.x-k8s.io/clusterqueues:delete");
      String config = kueue.get(ConfigMap.class, PREFIX + "broker").getData().get("config.yaml");
      assertThat(io.gleaner.meta.config.GleanerConfig.fromYaml(config).broker().kueue().enabled())
          .isTrue();
    }

    @Test
    void onlyTheIdleDetectorWritesMemberClusterStatus() {
      for (String service : List.of("broker", "descheduler", "virtual-kubelet")) {
        assertThat(Rbac.permissions(clusterRules(chart, service)))
            .as(service)
            .noneMatch(p -> p.startsWith("gleaner.io/memberclusters/status"));
      }
      assertThat(Rbac.permissions(clusterRules(chart, "idle-detector")))
          .contains("gleaner.io/memberclusters:get", "gleaner.io/memberclusters/status:patch")
          .doesNotContain(
              "gleaner.io/memberclusters/status:get", "gleaner.io/memberclusters/status:update");
    }

    @Test
    void onlyTheVirtualKubeletPutsItsFinalizerOnMemberClusters() {
      // MemberDrain: the finalizer goes on with a patch of the object and comes off the same way
      assertThat(Rbac.permissions(clusterRules(chart, "virtual-kubelet")))
          .contains("gleaner.io/memberclusters:get", "gleaner.io/memberclusters:patch")
          .doesNotContain(
              "gleaner.io/memberclusters:update",
              "gleaner.io/memberclusters:delete",
              "gleaner.io/memberclusters:create");
      for (String service : List.of("broker", "descheduler", "idle-detector")) {
        assertThat(Rbac.permissions(clusterRules(chart, service)))
            .as(service)
            .doesNotContain("gleaner.io/memberclusters:patch");
      }
    }

    @Test
    void eachStatusHasExactlyOneWriter() {
      // the services' code: PolicyWatcher.Role.STATUS_WRITER in the broker only, MemberRegistry
      // status writes in the idle-detector only (cli ServiceContext)
      Map<String, Set<String>> writes =
          Map.of(
              "broker", Set.of("gleanerpolicies/status"),
              "idle-detector", Set.of("memberclusters/status"),
              "descheduler", Set.of(),
              "virtual-kubelet", Set.of());
      writes.forEach(
          (service, expected) -> {
            Set<String> written =
                Rbac.permissions(clusterRules(chart, service)).stream()
                    .filter(p -> p.startsWith("gleaner.io/") && p.contains("/status:"))
                    .filter(p -> p.endsWith(":update") || p.endsWith(":patch"))
                    .map(p -> p.substring("gleaner.io/".length(), p.indexOf(':')))
                    .collect(java.util.stream.Collectors.toSet());
            assertThat(written).as(service).isEqualTo(expected);
          });
    }

    @Test
    void servicesThatTalkToMembersReadMemberSecretsOnlyInTheirNamespace() {
      Set<String> idle = Rbac.permissions(clusterRules(chart, "idle-detector"));
      Set<String> desched = Rbac.permissions(clusterRules(chart, "descheduler"));
      assertThat(idle)
          .contains("gleaner.io/memberclusters:watch", "gleaner.io/memberclusters/status:patch");
      assertThat(desched)
          .contains("gleaner.io/memberclusters:watch")
          .noneMatch(p -> p.startsWith("gleaner.io/memberclusters/status"));
      // The broker knows members through the registry, which reads their kubeconfig Secrets:
      // without them it knows no member and rejects every offer.
      for (String service : List.of("broker", "idle-detector", "descheduler")) {
        Set<String> cluster = Rbac.permissions(clusterRules(chart, service));
        assertThat(cluster)
            .as(service)
            .noneMatch(
                p ->
                    p.startsWith("/secrets")
                        // the broker only lists and watches pods (those waiting on the virtual
                        // node)
                        || (p.startsWith("/pods")
                            && !(service.equals("broker")
                                && (p.equals("/pods:list") || p.equals("/pods:watch")))));
        Role secrets = chart.get(Role.class, PREFIX + service + "-member-secrets");
        assertThat(secrets.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertThat(Rbac.permissions(secrets.getRules()))
            .containsExactlyInAnyOrder("/secrets:get", "/secrets:list", "/secrets:watch");
        RoleBinding binding = chart.get(RoleBinding.class, PREFIX + service + "-member-secrets");
        assertThat(binding.getSubjects())
            .singleElement()
            .satisfies(s -> assertThat(s.getName()).isEqualTo(PREFIX + service));
      }
    }

    @Test
    void memberSecretsNamespaceAndNodeNameAreConfigurable() {
      RenderedChart custom =
          render(
              GLEANER,
              values("memberSecretsNamespace", "members", "virtualKubelet.nodeName", "glean-2"));
      assertThat(
              custom
                  .get(Role.class, PREFIX + "descheduler-member-secrets")
                  .getMetadata()
                  .getNamespace())
          .isEqualTo("members");
      assertThat(Rbac.permissions(clusterRules(custom, "virtual-kubelet")))
          .contains("/nodes[glean-2]:patch")
          .doesNotContain("/nodes[gleaner]:patch");
    }

    @Test
    void reclaimHooksServerAndSignedWebhooksAreConfigurable() {
      RenderedChart hooks =
          render(
              GLEANER,
              values(
                  "grpcTls.enabled", false, // a hooks Secret of its own serves without mutual TLS
                  "descheduler.hooks.tls.secretName", "hooks-tls",
                  "descheduler.hooks.webhooks.pager.url", "https://pager.example.com/gleaner",
                  "descheduler.hooks.webhooks.pager.signingKeySecret.name", "pager-hmac",
                  "descheduler.hooks.webhooks.pager.sources[0]", "IDLE"));
      String yaml = hooks.get(ConfigMap.class, PREFIX + "descheduler").getData().get("config.yaml");
      var config = io.gleaner.meta.config.GleanerConfig.fromYaml(yaml).descheduler().hooks();
      assertThat(config.server().port()).isEqualTo(9091);
      assertThat(config.server().tls().certFile()).isEqualTo("/etc/gleaner/hooks-tls/tls.crt");
      assertThat(config.server().subscribers()).containsExactly("reader");
      assertThat(config.webhooks().get("pager").secretFile())
          .isEqualTo("/etc/gleaner/webhooks/pager/key");
      assertThat(yaml).doesNotContain("signingKeySecret").doesNotContain("pager-hmac");
      var pod = deployment(hooks, "descheduler").getSpec().getTemplate().getSpec();
      assertThat(pod.getVolumes())
          .anySatisfy(
              v -> {
                assertThat(v.getName()).isEqualTo("webhook-pager");
                assertThat(v.getSecret().getSecretName()).isEqualTo("pager-hmac");
              });
      assertThat(pod.getContainers().get(0).getVolumeMounts())
          .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/etc/gleaner/webhooks/pager"))
          .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/etc/gleaner/hooks-tls"));
      assertThat(pod.getContainers().get(0).getPorts())
          .anySatisfy(p -> assertThat(p.getName()).isEqualTo("hooks"));
      assertThat(
              hooks
                  .get(io.fabric8.kubernetes.api.model.Service.class, PREFIX + "descheduler")
                  .getSpec()
                  .getPorts())
          .anySatisfy(p -> assertThat(p.getPort()).isEqualTo(9091));
    }

    @Test
    void theKubeletApiGetsTheClusterCaOfKubeRootCaCrtByDefault() {
      var pod = deployment(chart, "virtual-kubelet").getSpec().getTemplate().getSpec();
      assertThat(pod.getVolumes())
          .anySatisfy(
              v -> {
                assertThat(v.getName()).isEqualTo("client-ca");
                assertThat(v.getConfigMap().getName()).isEqualTo("kube-root-ca.crt");
                assertThat(v.getConfigMap().getItems())
                    .singleElement()
                    .satisfies(i -> assertThat(i.getKey()).isEqualTo("ca.crt"));
              });
      assertThat(pod.getContainers().get(0).getVolumeMounts())
          .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/etc/gleaner/client-ca"));
      assertThat(pod.getContainers().get(0).getArgs())
          .contains("--set=virtualKubelet.clientCAFile=/etc/gleaner/client-ca/ca.crt");
      RenderedChart none = render(GLEANER, values("virtualKubelet.clientCA.configMap", ""));
      var plain = deployment(none, "virtual-kubelet").getSpec().getTemplate().getSpec();
      assertThat(plain.getVolumes()).noneMatch(v -> v.getName().equals("client-ca"));
      assertThat(plain.getContainers().get(0).getArgs()).noneMatch(a -> a.contains("clientCAFile"));
    }

    @Test
    void csrModeAddsCertificateSigningRequests() {
      RenderedChart csr = render(GLEANER, values("virtualKubelet.tls.mode", "csr"));
      assertThat(Rbac.permissions(clusterRules(csr, "virtual-kubelet")))
          .contains(
              "certificates.k8s.io/certificatesigningrequests:create",
              "certificates.k8s.io/certificatesigningrequests:watch")
          .doesNotContain("certificates.k8s.io/certificatesigningrequests/approval:update");
      String config =
          csr.get(ConfigMap.class, PREFIX + "virtual-kubelet").getData().get("config.yaml");
      assertThat(config).contains("csr: true");
      assertThat(io.gleaner.meta.config.GleanerConfig.fromYaml(config).virtualKubelet().tls().csr())
          .isTrue();
    }
  }

  @Nested
  class Toggles {

    @Test
    void serviceMonitorPerService() {
      RenderedChart chart =
          render(
              GLEANER,
              values(
                  "broker.metrics.serviceMonitor.enabled",
                  true,
                  "broker.metrics.serviceMonitor.labels.release",
                  "prom"));
      List<GenericKubernetesResource> monitors = chart.all(GenericKubernetesResource.class);
      assertThat(monitors)
          .singleElement()
          .satisfies(
              m -> {
                assertThat(m.getKind()).isEqualTo("ServiceMonitor");
                assertThat(m.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
                assertThat(m.getMetadata().getName()).isEqualTo(PREFIX + "broker");
                assertThat(m.getMetadata().getLabels()).containsEntry("release", "prom");
                assertThat(m.get("spec", "selector", "matchLabels").toString())
                    .contains("app.kubernetes.io/component=broker");
                assertThat(m.get("spec", "endpoints").toString())
                    .contains("port=http", "path=/metrics");
              });
    }

    @Test
    void metricsOffRemovesScrapingAndTheMetricsPort() {
      RenderedChart chart =
          render(
              GLEANER,
              values("descheduler.metrics.enabled", false, "broker.metrics.enabled", false));
      assertThat(chart.has("Service", PREFIX + "idle-detector")).isTrue();
      // The broker keeps its Service for gRPC and the dashboard, the descheduler for its reclaim
      // hooks; both without scrape annotations or the metrics port.
      Service broker = chart.get(Service.class, PREFIX + "broker");
      assertThat(broker.getMetadata().getAnnotations()).isNullOrEmpty();
      Service descheduler = chart.get(Service.class, PREFIX + "descheduler");
      assertThat(descheduler.getMetadata().getAnnotations()).isNullOrEmpty();
      assertThat(descheduler.getSpec().getPorts())
          .extracting(io.fabric8.kubernetes.api.model.ServicePort::getName)
          .containsExactly("hooks");
    }

    @Test
    void serviceMonitorWithoutMetricsFails() {
      assertThatThrownBy(
              () ->
                  render(
                      GLEANER,
                      values(
                          "descheduler.metrics.enabled",
                          false,
                          "descheduler.metrics.serviceMonitor.enabled",
                          true)))
          .hasMessageContaining(
              "descheduler.metrics.serviceMonitor.enabled needs descheduler.metrics.enabled=true");
    }

    @Test
    void podDisruptionBudgetPerService() {
      RenderedChart chart =
          render(
              GLEANER,
              values(
                  "virtualKubelet.podDisruptionBudget.enabled",
                  true,
                  "broker.podDisruptionBudget.enabled",
                  true,
                  "broker.podDisruptionBudget.minAvailable",
                  1));
      PodDisruptionBudget vk = chart.get(PodDisruptionBudget.class, PREFIX + "virtual-kubelet");
      assertThat(vk.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
      assertThat(vk.getSpec().getSelector().getMatchLabels())
          .containsEntry("app.kubernetes.io/component", "virtual-kubelet");
      PodDisruptionBudget broker = chart.get(PodDisruptionBudget.class, PREFIX + "broker");
      assertThat(broker.getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
      assertThat(broker.getSpec().getMaxUnavailable()).isNull();
      assertThat(chart.has("PodDisruptionBudget", PREFIX + "descheduler")).isFalse();
    }

    @Test
    void externalZooKeeperReplacesTheBundledOne() {
      RenderedChart chart =
          render(
              GLEANER,
              values(
                  "zookeeper.connect",
                  "zk-0.zk:2181,zk-1.zk:2181",
                  "zookeeper.namespace",
                  "gleaner-prod"));
      assertThat(chart.all(StatefulSet.class)).isEmpty();
      assertThat(chart.has("Service", PREFIX + "zookeeper")).isFalse();
      for (String service : SERVICES) {
        assertThat(container(chart, service).getArgs())
            .as(service)
            .contains("--zk-connect=zk-0.zk:2181,zk-1.zk:2181", "--zk-namespace=gleaner-prod");
      }
    }

    @Test
    void noZooKeeperAtAllFailsWithAClearMessage() {
      assertThatThrownBy(() -> render(GLEANER, values("zookeeper.bundled.enabled", false)))
          .hasMessageContaining("set zookeeper.connect to an existing ensemble")
          .hasMessageContaining("zookeeper.bundled.enabled=true");
    }

    @Test
    void bundledZooKeeperSizeAndImageAreConfigurable() {
      RenderedChart chart =
          render(
              GLEANER,
              values(
                  "zookeeper.bundled.replicas",
                  5,
                  "zookeeper.bundled.image.repository",
                  "registry.local/zookeeper",
                  "zookeeper.bundled.image.tag",
                  "3.9.4",
                  "zookeeper.bundled.persistence.enabled",
                  false));
      StatefulSet zk = chart.get(StatefulSet.class, PREFIX + "zookeeper");
      assertThat(zk.getSpec().getReplicas()).isEqualTo(5);
      assertThat(zk.getSpec().getVolumeClaimTemplates()).isEmpty();
      assertThat(zk.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
          .isEqualTo("registry.local/zookeeper:3.9.4");
    }

    @Test
    void replicasWithLeaderElectionScaleOut() {
      RenderedChart chart =
          render(GLEANER, values("broker.replicas", 2, "virtualKubelet.replicas", 3));
      assertThat(deployment(chart, "broker").getSpec().getReplicas()).isEqualTo(2);
      assertThat(deployment(chart, "virtual-kubelet").getSpec().getReplicas()).isEqualTo(3);
      assertThat(container(chart, "virtual-kubelet").getArgs()).contains("--leader-elect=true");
    }

    @Test
    void leaderElectionOffWithOneReplicaIsAllowed() {
      RenderedChart chart = render(GLEANER, values("descheduler.leaderElection.enabled", false));
      assertThat(container(chart, "descheduler").getArgs()).contains("--leader-elect=false");
      assertThat(container(chart, "broker").getArgs()).contains("--leader-elect=true");
    }

    @Test
    void replicasAboveOneWithoutLeaderElectionFails() {
      assertThatThrownBy(
              () ->
                  render(
                      GLEANER,
                      values(
                          "idleDetector.replicas",
                          2,
                          "idleDetector.leaderElection.enabled",
                          false)))
          .hasMessageContaining(
              "idleDetector.replicas is 2 but idleDetector.leaderElection.enabled is false")
          .hasMessageContaining("more than one replica needs leader election");
    }

    @Test
    void disabledServiceRendersNothing() {
      RenderedChart chart = render(GLEANER, values("descheduler.enabled", false));
      assertThat(chart.all())
          .noneMatch(o -> o.getMetadata().getName().startsWith(PREFIX + "descheduler"));
      assertThat(chart.all(Deployment.class)).hasSize(3);
    }

    @Test
    void brokerElsewhereNeedsItsAddress() {
      assertThatThrownBy(() -> render(GLEANER, values("broker.enabled", false)))
          .hasMessageContaining("broker.enabled is false: set brokerAddress");
      RenderedChart chart =
          render(GLEANER, values("broker.enabled", false, "brokerAddress", "broker.shared:9090"));
      assertThat(chart.has("Deployment", PREFIX + "broker")).isFalse();
      assertThat(chart.get(ConfigMap.class, PREFIX + "descheduler").getData().get("config.yaml"))
          .contains("brokerAddress: broker.shared:9090");
    }

    @Test
    void configChangeRollsOnlyThatService() {
      RenderedChart before = render(GLEANER);
      RenderedChart after = render(GLEANER, values("descheduler.config.decisionWindow", "500ms"));
      assertThat(after.get(ConfigMap.class, PREFIX + "descheduler").getData().get("config.yaml"))
          .contains("decisionWindow: 500ms");
      assertThat(checksum(after, "descheduler")).isNotEqualTo(checksum(before, "descheduler"));
      assertThat(checksum(after, "broker")).isEqualTo(checksum(before, "broker"));
    }

    private String checksum(RenderedChart chart, String service) {
      return deployment(chart, service)
          .getSpec()
          .getTemplate()
          .getMetadata()
          .getAnnotations()
          .get("checksum/config");
    }

    @Test
    void imageOverridesAndDigest() {
      RenderedChart chart =
          render(
              GLEANER,
              values(
                  "image.repository",
                  "registry.local/gleaner",
                  "image.tag",
                  "dev",
                  "broker.image.tag",
                  "hotfix",
                  "descheduler.image.digest",
                  "sha256:" + "a".repeat(64),
                  "image.pullPolicy",
                  "Always"));
      assertThat(container(chart, "idle-detector").getImage())
          .isEqualTo("registry.local/gleaner:dev");
      assertThat(container(chart, "broker").getImage()).isEqualTo("registry.local/gleaner:hotfix");
      assertThat(container(chart, "descheduler").getImage())
          .isEqualTo("registry.local/gleaner@sha256:" + "a".repeat(64));
      assertThat(container(chart, "descheduler").getImagePullPolicy()).isEqualTo("Always");
    }

    @Test
    void kubeletServingCertificateFromASecret() {
      RenderedChart chart =
          render(
              GLEANER,
              values(
                  "virtualKubelet.tls.mode",
                  "secret",
                  "virtualKubelet.tls.secretName",
                  "gleaner-kubelet-tls"));
      PodSpec pod = deployment(chart, "virtual-kubelet").getSpec().getTemplate().getSpec();
      assertThat(pod.getVolumes())
          .anyMatch(
              v ->
                  v.getSecret() != null
                      && v.getSecret().getSecretName().equals("gleaner-kubelet-tls"));
      assertThat(pod.getContainers().get(0).getVolumeMounts())
          .anyMatch(m -> m.getMountPath().equals("/etc/gleaner/tls"));
      String config =
          chart.get(ConfigMap.class, PREFIX + "virtual-kubelet").getData().get("config.yaml");
      assertThat(config)
          .contains("certFile: /etc/gleaner/tls/tls.crt", "keyFile: /etc/gleaner/tls/tls.key");
      // the binary accepts what the chart renders
      assertThat(
              io.gleaner.meta.config.GleanerConfig.fromYaml(config).virtualKubelet().tls().files())
          .isTrue();
    }

    @Test
    void hostAliasesReachEveryServicePod() {
      RenderedChart chart =
          render(
              GLEANER,
              values(
                  "hostAliases[0].ip", "10.0.0.5", "hostAliases[0].hostnames[0]", "member-a-api"));
      for (String service : SERVICES) {
        assertThat(deployment(chart, service).getSpec().getTemplate().getSpec().getHostAliases())
            .as(service)
            .singleElement()
            .satisfies(
                a -> {
                  assertThat(a.getIp()).isEqualTo("10.0.0.5");
                  assertThat(a.getHostnames()).containsExactly("member-a-api");
                });
      }
    }

    @Test
    void secretModeWithoutASecretFails() {
      assertThatThrownBy(() -> render(GLEANER, values("virtualKubelet.tls.mode", "secret")))
          .hasMessageContaining("virtualKubelet.tls.secretName is empty");
    }
  }

  @Nested
  class Schema {

    @Test
    void negativeReplicasAreRejected() {
      assertThatThrownBy(() -> render(GLEANER, values("broker.replicas", -1)))
          .hasMessageContaining("values don't meet the specifications of the schema")
          .hasMessageContaining("broker.replicas")
          .hasMessageContaining("greater than or equal to 0");
    }

    @Test
    void unknownPullPolicyIsRejected() {
      assertThatThrownBy(() -> render(GLEANER, values("image.pullPolicy", "Sometimes")))
          .hasMessageContaining("image.pullPolicy")
          .hasMessageContaining("Always")
          .hasMessageContaining("IfNotPresent");
    }

    @Test
    void misspelledKeyIsRejected() {
      assertThatThrownBy(() -> render(GLEANER, values("virtualKubelet.replica", 2)))
          .hasMessageContaining("virtualKubelet")
          .hasMessageContaining("replica");
    }

    @ParameterizedTest
    @ValueSource(
        strings = {
          "zookeeper.bundled.replicas=4",
          "virtualKubelet.kubeletPort=70000",
          "virtualKubelet.tls.mode=none",
          "broker.leaderElection.enabled=maybe",
          "instance=Not_A_Label",
          "zookeeper.connect=just-a-host"
        })
    void otherBadValuesAreRejectedNamingTheKey(String assignment) {
      String key = assignment.substring(0, assignment.indexOf('='));
      String value = assignment.substring(assignment.indexOf('=') + 1);
      assertThatThrownBy(() -> render(GLEANER, values(key, value)))
          .hasMessageContaining("values don't meet the specifications of the schema")
          .hasMessageContaining(key);
    }
  }
}
