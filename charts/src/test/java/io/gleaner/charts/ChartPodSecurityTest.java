package io.gleaner.charts;

import static io.gleaner.charts.RenderedChart.GLEANER;
import static io.gleaner.charts.RenderedChart.GLEANER_MEMBER;
import static io.gleaner.charts.RenderedChart.render;
import static io.gleaner.charts.RenderedChart.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every pod the charts render meets the {@code restricted} Pod Security Standard (non-root, no
 * privilege escalation, all capabilities dropped, RuntimeDefault seccomp, allowed volume types, no
 * host namespaces) and has a read-only root filesystem; values that would break that are refused at
 * install with the rule they break.
 */
class ChartPodSecurityTest {

  /** Pod templates of every workload kind in a rendered chart, by kind/name. */
  static Map<String, PodSpec> pods(RenderedChart chart) {
    Map<String, PodSpec> out = new LinkedHashMap<>();
    for (HasMetadata o : chart.all()) {
      PodTemplateSpec template = null;
      if (o instanceof Deployment d) {
        template = d.getSpec().getTemplate();
      } else if (o instanceof StatefulSet s) {
        template = s.getSpec().getTemplate();
      } else if (o instanceof DaemonSet d) {
        template = d.getSpec().getTemplate();
      } else if (o instanceof Job j) {
        template = j.getSpec().getTemplate();
      } else if (o instanceof CronJob c) {
        template = c.getSpec().getJobTemplate().getSpec().getTemplate();
      }
      if (template != null) {
        out.put(o.getKind() + "/" + o.getMetadata().getName(), template.getSpec());
      }
    }
    if (!chart.ofKind("Pod").isEmpty()) {
      throw new AssertionError("the chart renders bare Pods; check them too");
    }
    return out;
  }

  private static void assertRestricted(RenderedChart chart) {
    pods(chart)
        .forEach(
            (name, pod) -> assertThat(RestrictedPodSecurity.violations(pod)).as(name).isEmpty());
  }

  @Test
  void everyPodOfTheDefaultInstallIsRestricted() {
    Map<String, PodSpec> pods = pods(render(GLEANER));
    assertThat(pods.keySet())
        .containsExactlyInAnyOrder(
            "Deployment/glean-gleaner-broker",
            "Deployment/glean-gleaner-idle-detector",
            "Deployment/glean-gleaner-virtual-kubelet",
            "Deployment/glean-gleaner-descheduler",
            "StatefulSet/glean-gleaner-zookeeper");
    assertRestricted(render(GLEANER));
  }

  @Test
  void everyPodIsRestrictedWithEveryOptionalVolumeAndFeatureOn() {
    assertRestricted(
        render(
            GLEANER,
            values(
                "virtualKubelet.tls.mode", "secret",
                "virtualKubelet.tls.secretName", "kubelet-tls",
                "descheduler.hooks.tls.secretName", "hooks-tls",
                "descheduler.hooks.webhooks.pager.url", "https://pager.example.com/",
                "descheduler.hooks.webhooks.pager.signingKeySecret.name", "pager-hmac",
                "zookeeper.bundled.persistence.enabled", false,
                "zookeeper.bundled.replicas", 1,
                "broker.replicas", 2,
                "grafana.dashboard.enabled", true)));
    assertRestricted(render(GLEANER, values("virtualKubelet.tls.mode", "csr")));
  }

  @Test
  void theMemberChartRendersNoPodThatCouldBreakTheLevel() {
    assertThat(pods(render(GLEANER_MEMBER))).isEmpty();
  }

  @Nested
  class ValuesThatBreakTheLevelAreRefused {

    @ParameterizedTest
    @ValueSource(
        strings = {
          "broker.securityContext.allowPrivilegeEscalation=true|broker: securityContext.allowPrivilegeEscalation must be false",
          "idleDetector.securityContext.privileged=true|idleDetector: securityContext.privileged must not be true",
          "descheduler.securityContext.readOnlyRootFilesystem=false|descheduler: securityContext.readOnlyRootFilesystem must be true",
          "virtualKubelet.securityContext.capabilities.drop[0]=NET_RAW|virtualKubelet: securityContext.capabilities.drop must contain ALL",
          "broker.securityContext.capabilities.add[0]=SYS_ADMIN|broker: securityContext.capabilities.add may hold only NET_BIND_SERVICE",
          "securityContext.runAsUser=0|broker: securityContext.runAsUser must not be 0",
          "podSecurityContext.runAsNonRoot=false|broker: podSecurityContext.runAsNonRoot must be true",
          "podSecurityContext.runAsUser=0|broker: podSecurityContext.runAsUser must not be 0",
          "descheduler.podSecurityContext.seccompProfile.type=Unconfined|descheduler: podSecurityContext.seccompProfile.type must be RuntimeDefault or Localhost",
          "zookeeper.bundled.securityContext.allowPrivilegeEscalation=true|zookeeper.bundled: securityContext.allowPrivilegeEscalation must be false",
          "zookeeper.bundled.podSecurityContext.runAsUser=0|zookeeper.bundled: podSecurityContext.runAsUser must not be 0"
        })
    void withTheRuleNamed(String caseText) {
      String[] parts = caseText.split("\\|");
      String key = parts[0].substring(0, parts[0].indexOf('='));
      String raw = parts[0].substring(parts[0].indexOf('=') + 1);
      Object value =
          raw.equals("true") || raw.equals("false")
              ? Boolean.valueOf(raw)
              : raw.matches("[0-9]+") ? Integer.valueOf(raw) : raw;
      assertThatThrownBy(() -> render(GLEANER, values(key, value)))
          .hasMessageContaining(parts[1])
          .hasMessageContaining("restricted Pod Security Standard")
          .hasMessageContaining("podSecurityStandard");
    }

    @Test
    void unlessTheOperatorOptsOutOfTheCheck() {
      RenderedChart chart =
          render(
              GLEANER,
              values(
                  "podSecurityStandard",
                  "",
                  "broker.securityContext.readOnlyRootFilesystem",
                  false));
      assertThat(
              RestrictedPodSecurity.violations(pods(chart).get("Deployment/glean-gleaner-broker")))
          .containsExactly(
              "containers[broker].securityContext.readOnlyRootFilesystem: must be true (Gleaner's rule)");
    }
  }

  /** The checker itself finds what the level forbids. */
  @Nested
  class Checker {

    @Test
    void aDefaultPodBreaksTheRulesOneByOne() {
      PodSpec pod =
          new PodSpecBuilder()
              .withHostNetwork(true)
              .addNewVolume()
              .withName("host")
              .withNewHostPath()
              .withPath("/var/run")
              .endHostPath()
              .endVolume()
              .addNewContainer()
              .withName("app")
              .addNewPort()
              .withContainerPort(80)
              .withHostPort(80)
              .endPort()
              .withNewSecurityContext()
              .withPrivileged(true)
              .withNewCapabilities()
              .withAdd("NET_ADMIN")
              .endCapabilities()
              .endSecurityContext()
              .endContainer()
              .build();
      assertThat(RestrictedPodSecurity.violations(pod))
          .containsExactlyInAnyOrder(
              "hostNetwork: host namespaces are forbidden",
              "volumes[host]: volume type hostPath is not allowed",
              "containers[app].ports: hostPort 80 is forbidden",
              "containers[app].securityContext.privileged: must not be true",
              "containers[app].securityContext.allowPrivilegeEscalation: must be false",
              "containers[app].securityContext.readOnlyRootFilesystem: must be true (Gleaner's rule)",
              "containers[app]: runAsNonRoot must be true (pod or container)",
              "containers[app]: seccompProfile must be RuntimeDefault or Localhost (pod or container)",
              "containers[app].securityContext.capabilities.drop: must contain ALL",
              "containers[app].securityContext.capabilities.add: NET_ADMIN is forbidden");
    }

    @Test
    void containerLevelSettingsSatisfyThePodLevelRules() {
      PodSpec pod =
          new PodSpecBuilder()
              .addNewInitContainer()
              .withName("init")
              .withNewSecurityContext()
              .withRunAsNonRoot(true)
              .withAllowPrivilegeEscalation(false)
              .withReadOnlyRootFilesystem(true)
              .withNewSeccompProfile()
              .withType("Localhost")
              .withLocalhostProfile("p.json")
              .endSeccompProfile()
              .withNewCapabilities()
              .withDrop(List.of("ALL"))
              .withAdd("NET_BIND_SERVICE")
              .endCapabilities()
              .endSecurityContext()
              .endInitContainer()
              .build();
      assertThat(RestrictedPodSecurity.violations(pod)).isEmpty();
      pod.getInitContainers().get(0).getSecurityContext().setRunAsUser(0L);
      assertThat(RestrictedPodSecurity.violations(pod))
          .containsExactly("containers[init].securityContext.runAsUser: 0 (root) is forbidden");
    }
  }
}
