package io.gleaner.vk.translate;

import static io.gleaner.meta.crd.PodSecurityLevel.BASELINE;
import static io.gleaner.meta.crd.PodSecurityLevel.PRIVILEGED;
import static io.gleaner.meta.crd.PodSecurityLevel.RESTRICTED;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.AppArmorProfile;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EphemeralContainerBuilder;
import io.fabric8.kubernetes.api.model.HostPathVolumeSource;
import io.fabric8.kubernetes.api.model.NFSVolumeSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.SELinuxOptions;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Sysctl;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.WindowsSecurityContextOptions;
import io.gleaner.meta.crd.PodSecurityLevel;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every rule of {@link PodSecurityStandard}, once refused and once allowed, on regular, init and
 * ephemeral containers. Pods start from {@link #base(PodSecurityLevel)}: a pod that meets the level
 * exactly, so a case's change is the only thing that can break it.
 */
class PodSecurityStandardTest {

  /** A pod meeting {@code level}: one container "main", one init container "init". */
  static Pod base(PodSecurityLevel level) {
    SecurityContext sc = new SecurityContext();
    if (level == RESTRICTED) {
      sc.setAllowPrivilegeEscalation(false);
      sc.setRunAsNonRoot(true);
      sc.setSeccompProfile(new SeccompProfile(null, "RuntimeDefault"));
      sc.setCapabilities(new Capabilities(null, List.of("ALL")));
    }
    return new PodBuilder()
        .withNewMetadata()
        .withName("p")
        .withNamespace("team-a")
        .endMetadata()
        .withNewSpec()
        .addToInitContainers(
            new ContainerBuilder()
                .withName("init")
                .withImage("busybox")
                .withSecurityContext(copy(sc))
                .build())
        .addToContainers(
            new ContainerBuilder()
                .withName("main")
                .withImage("busybox")
                .withSecurityContext(copy(sc))
                .build())
        .addToVolumes(
            new VolumeBuilder().withName("scratch").withNewEmptyDir().endEmptyDir().build())
        .endSpec()
        .build();
  }

  private static SecurityContext copy(SecurityContext sc) {
    return new io.fabric8.kubernetes.api.model.SecurityContextBuilder(sc).build();
  }

  private static SecurityContext main(Pod p) {
    return p.getSpec().getContainers().get(0).getSecurityContext();
  }

  private static SecurityContext init(Pod p) {
    return p.getSpec().getInitContainers().get(0).getSecurityContext();
  }

  private static PodSecurityContext podCtx(Pod p) {
    if (p.getSpec().getSecurityContext() == null) {
      p.getSpec().setSecurityContext(new PodSecurityContext());
    }
    return p.getSpec().getSecurityContext();
  }

  /** Adds an ephemeral container "debug" with a copy of main's security context, then edits it. */
  private static Consumer<Pod> ephemeral(Consumer<SecurityContext> edit) {
    return p -> {
      SecurityContext sc = copy(main(p));
      edit.accept(sc);
      p.getSpec()
          .setEphemeralContainers(
              List.of(
                  new EphemeralContainerBuilder()
                      .withName("debug")
                      .withImage("busybox")
                      .withSecurityContext(sc)
                      .build()));
    };
  }

  private static Consumer<Pod> volume(Volume v) {
    return p -> p.getSpec().getVolumes().add(v);
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        // --- baseline
        refused(
            BASELINE,
            "hostProcess on the pod and a container",
            p -> {
              podCtx(p)
                  .setWindowsOptions(new WindowsSecurityContextOptions(null, null, true, null));
              main(p).setWindowsOptions(new WindowsSecurityContextOptions(null, null, true, null));
            },
            "hostProcess (pod and container \"main\" must not set"
                + " securityContext.windowsOptions.hostProcess=true)"),
        allowed(
            BASELINE,
            "hostProcess false",
            p ->
                main(p)
                    .setWindowsOptions(new WindowsSecurityContextOptions(null, null, false, null))),
        refused(
            BASELINE,
            "host namespaces",
            p -> {
              p.getSpec().setHostNetwork(true);
              p.getSpec().setHostPID(true);
              p.getSpec().setHostIPC(true);
            },
            "host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)"),
        allowed(BASELINE, "host namespaces false", p -> p.getSpec().setHostNetwork(false)),
        refused(
            BASELINE,
            "privileged init and main containers",
            p -> {
              init(p).setPrivileged(true);
              main(p).setPrivileged(true);
            },
            "privileged (containers \"init\", \"main\" must not set"
                + " securityContext.privileged=true)"),
        refused(
            BASELINE,
            "privileged ephemeral container",
            ephemeral(sc -> sc.setPrivileged(true)),
            "privileged (container \"debug\" must not set securityContext.privileged=true)"),
        allowed(BASELINE, "privileged false", p -> main(p).setPrivileged(false)),
        refused(
            BASELINE,
            "capabilities beyond the baseline list",
            p -> main(p).setCapabilities(new Capabilities(List.of("CHOWN", "NET_ADMIN"), null)),
            "non-default capabilities (container \"main\" must not include \"NET_ADMIN\" in"
                + " securityContext.capabilities.add)"),
        allowed(
            BASELINE,
            "capabilities of the baseline list",
            p ->
                main(p)
                    .setCapabilities(
                        new Capabilities(List.of("CHOWN", "NET_BIND_SERVICE", "KILL"), null))),
        refused(
            BASELINE,
            "hostPath volume",
            volume(
                new VolumeBuilder()
                    .withName("root")
                    .withHostPath(new HostPathVolumeSource("/", null))
                    .build()),
            "hostPath volumes (volume \"root\")"),
        allowed(
            BASELINE,
            "configMap volume",
            volume(new VolumeBuilder().withName("cfg").withNewConfigMap().endConfigMap().build())),
        refused(
            BASELINE,
            "hostPort",
            p ->
                p.getSpec()
                    .getContainers()
                    .get(0)
                    .setPorts(List.of(new ContainerPort(8080, null, 80, "http", "TCP"))),
            "hostPort (container \"main\" uses hostPort 80)"),
        allowed(
            BASELINE,
            "containerPort without hostPort",
            p ->
                p.getSpec()
                    .getContainers()
                    .get(0)
                    .setPorts(List.of(new ContainerPort(8080, null, null, "http", "TCP")))),
        refused(
            BASELINE,
            "AppArmor unconfined, by field and by annotation",
            p -> {
              main(p).setAppArmorProfile(new AppArmorProfile(null, "Unconfined"));
              p.getMetadata()
                  .setAnnotations(
                      new java.util.HashMap<>(
                          java.util.Map.of(
                              "container.apparmor.security.beta.kubernetes.io/init",
                              "unconfined")));
            },
            "forbidden AppArmor profile (annotation"
                + " \"container.apparmor.security.beta.kubernetes.io/init\"=\"unconfined\","
                + " container \"main\" securityContext.appArmorProfile.type=\"Unconfined\")"),
        allowed(
            BASELINE,
            "AppArmor runtime default",
            p -> {
              podCtx(p).setAppArmorProfile(new AppArmorProfile(null, "RuntimeDefault"));
              main(p).setAppArmorProfile(new AppArmorProfile("k8s-app", "Localhost"));
            }),
        refused(
            BASELINE,
            "SELinux type, user and role",
            p -> {
              podCtx(p).setSeLinuxOptions(new SELinuxOptions(null, null, "spc_t", null));
              main(p).setSeLinuxOptions(new SELinuxOptions(null, "sysadm_r", null, "root"));
            },
            "seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type \"spc_t\";"
                + " container \"main\" set forbidden securityContext.seLinuxOptions: user"
                + " \"root\", role \"sysadm_r\")"),
        allowed(
            BASELINE,
            "SELinux container type and level",
            p -> main(p).setSeLinuxOptions(new SELinuxOptions("s0:c1", "", "container_t", ""))),
        refused(
            BASELINE,
            "proc mount unmasked",
            p -> init(p).setProcMount("Unmasked"),
            "procMount (container \"init\" must not set securityContext.procMount to"
                + " \"Unmasked\")"),
        allowed(BASELINE, "proc mount default", p -> main(p).setProcMount("Default")),
        refused(
            BASELINE,
            "seccomp unconfined",
            p -> podCtx(p).setSeccompProfile(new SeccompProfile(null, "Unconfined")),
            "seccompProfile (pod must not set securityContext.seccompProfile.type to"
                + " \"Unconfined\")"),
        refused(
            BASELINE,
            "seccomp unconfined in an ephemeral container",
            ephemeral(sc -> sc.setSeccompProfile(new SeccompProfile(null, "Unconfined"))),
            "seccompProfile (container \"debug\" must not set securityContext.seccompProfile.type"
                + " to \"Unconfined\")"),
        allowed(
            BASELINE,
            "seccomp runtime default",
            p -> podCtx(p).setSeccompProfile(new SeccompProfile(null, "RuntimeDefault"))),
        refused(
            BASELINE,
            "unsafe sysctl",
            p ->
                podCtx(p)
                    .setSysctls(
                        List.of(
                            new Sysctl("net.ipv4.tcp_syncookies", "1"),
                            new Sysctl("kernel.msgmax", "65536"))),
            "forbidden sysctls (kernel.msgmax)"),
        allowed(
            BASELINE,
            "safe sysctls",
            p ->
                podCtx(p)
                    .setSysctls(
                        List.of(
                            new Sysctl("net.ipv4.ip_local_port_range", "1024 65000"),
                            new Sysctl("net.ipv4.tcp_keepalive_time", "60")))),
        allowed(
            BASELINE,
            "what only restricted refuses: root, escalation, NFS",
            p -> {
              podCtx(p).setRunAsUser(0L);
              main(p).setAllowPrivilegeEscalation(true);
              p.getSpec()
                  .getVolumes()
                  .add(
                      new VolumeBuilder()
                          .withName("share")
                          .withNfs(new NFSVolumeSource("/export", null, "nfs"))
                          .build());
            }),
        // --- restricted
        refused(
            RESTRICTED,
            "NFS volume",
            volume(
                new VolumeBuilder()
                    .withName("share")
                    .withNfs(new NFSVolumeSource("/export", null, "nfs"))
                    .build()),
            "restricted volume types (volume \"share\" uses restricted volume type \"nfs\")"),
        allowed(
            RESTRICTED,
            "secret, projected and csi volumes",
            p -> {
              volume(new VolumeBuilder().withName("s").withNewSecret().endSecret().build())
                  .accept(p);
              volume(new VolumeBuilder().withName("t").withNewProjected().endProjected().build())
                  .accept(p);
              volume(
                      new VolumeBuilder()
                          .withName("c")
                          .withNewCsi()
                          .withDriver("d")
                          .endCsi()
                          .build())
                  .accept(p);
            }),
        refused(
            RESTRICTED,
            "privilege escalation unset in the init container",
            p -> init(p).setAllowPrivilegeEscalation(null),
            "allowPrivilegeEscalation != false (container \"init\" must set"
                + " securityContext.allowPrivilegeEscalation=false)"),
        refused(
            RESTRICTED,
            "runAsNonRoot unset, and false on the pod",
            p -> {
              main(p).setRunAsNonRoot(null);
              init(p).setRunAsNonRoot(false);
            },
            "runAsNonRoot != true (container \"init\" must not set"
                + " securityContext.runAsNonRoot=false; pod or container \"main\" must set"
                + " securityContext.runAsNonRoot=true)"),
        allowed(
            RESTRICTED,
            "runAsNonRoot on the pod only",
            p -> {
              podCtx(p).setRunAsNonRoot(true);
              main(p).setRunAsNonRoot(null);
              init(p).setRunAsNonRoot(null);
            }),
        refused(
            RESTRICTED,
            "runAsUser 0",
            p -> {
              podCtx(p).setRunAsUser(0L);
              main(p).setRunAsUser(0L);
            },
            "runAsUser=0 (pod must not set runAsUser=0; container \"main\" must not set"
                + " runAsUser=0)"),
        allowed(RESTRICTED, "runAsUser 1000", p -> main(p).setRunAsUser(1000L)),
        refused(
            RESTRICTED,
            "seccomp unset in an ephemeral container",
            ephemeral(sc -> sc.setSeccompProfile(null)),
            "seccompProfile (pod or container \"debug\" must set securityContext.seccompProfile.type"
                + " to \"RuntimeDefault\" or \"Localhost\")"),
        allowed(
            RESTRICTED,
            "seccomp on the pod only",
            p -> {
              podCtx(p).setSeccompProfile(new SeccompProfile("profiles/p.json", "Localhost"));
              main(p).setSeccompProfile(null);
              init(p).setSeccompProfile(null);
            }),
        refused(
            RESTRICTED,
            "capabilities not dropped, and one added",
            p -> main(p).setCapabilities(new Capabilities(List.of("CHOWN"), null)),
            "unrestricted capabilities (container \"main\" must set"
                + " securityContext.capabilities.drop=[\"ALL\"]; container \"main\" must not"
                + " include \"CHOWN\" in securityContext.capabilities.add)"),
        allowed(
            RESTRICTED,
            "NET_BIND_SERVICE added after dropping ALL",
            p ->
                main(p)
                    .setCapabilities(
                        new Capabilities(List.of("NET_BIND_SERVICE"), List.of("ALL")))),
        refused(
            RESTRICTED,
            "baseline rules still apply",
            p -> p.getSpec().setHostPID(true),
            "host namespaces (hostPID=true)"),
        // --- privileged
        allowed(
            PRIVILEGED,
            "anything",
            p -> {
              p.getSpec().setHostNetwork(true);
              main(p).setPrivileged(true);
              podCtx(p).setSeccompProfile(new SeccompProfile(null, "Unconfined"));
            }));
  }

  private static Arguments refused(
      PodSecurityLevel level, String name, Consumer<Pod> change, String violation) {
    return Arguments.of(level, name, change, violation);
  }

  private static Arguments allowed(PodSecurityLevel level, String name, Consumer<Pod> change) {
    return Arguments.of(level, name, change, null);
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("cases")
  void eachRuleRefusesWhatItForbidsAndAllowsTheRest(
      PodSecurityLevel level, String name, Consumer<Pod> change, String violation) {
    Pod p = base(level == PRIVILEGED ? BASELINE : level);
    change.accept(p);

    List<String> violations = PodSecurityStandard.violations(p, level);

    if (violation == null) {
      assertThat(violations).isEmpty();
      assertThat(PodSecurityStandard.refusal(p, level)).isEmpty();
    } else {
      assertThat(violations).containsExactly(violation);
      assertThat(PodSecurityStandard.refusal(p, level))
          .contains("violates PodSecurity \"" + level.label() + ":latest\": " + violation);
    }
  }

  @Test
  void everyRuleOfTheTableHasARefusedCase() {
    List<String> covered =
        cases()
            .map(a -> (String) a.get()[3])
            .filter(v -> v != null)
            .map(v -> v.substring(0, v.indexOf(" (")))
            .toList();
    assertThat(covered)
        .containsAll(PodSecurityStandard.CHECKS.stream().map(c -> c.name()).toList());
  }

  @Test
  void theBasePodsMeetTheirLevelAndAPlainPodMeetsBaselineOnly() {
    assertThat(PodSecurityStandard.violations(base(BASELINE), BASELINE)).isEmpty();
    assertThat(PodSecurityStandard.violations(base(RESTRICTED), RESTRICTED)).isEmpty();
    assertThat(PodSecurityStandard.violations(base(BASELINE), RESTRICTED))
        .extracting(v -> v.substring(0, v.indexOf(" (")))
        .containsExactly(
            "allowPrivilegeEscalation != false",
            "runAsNonRoot != true",
            "seccompProfile",
            "unrestricted capabilities");
  }

  @Test
  void severalRulesAreJoinedInOneMessage() {
    Pod p = base(BASELINE);
    p.getSpec().setHostNetwork(true);
    main(p).setPrivileged(true);
    assertThat(PodSecurityStandard.refusal(p, BASELINE))
        .contains(
            "violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true),"
                + " privileged (container \"main\" must not set securityContext.privileged=true)");
  }
}
