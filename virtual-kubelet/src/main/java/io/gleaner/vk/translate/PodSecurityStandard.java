package io.gleaner.vk.translate;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SELinuxOptions;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Sysctl;
import io.fabric8.kubernetes.api.model.Volume;
import io.gleaner.meta.crd.PodSecurityLevel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The Kubernetes Pod Security Standards (baseline and restricted, version latest) as a table of
 * checks on a pod spec. Pure. Each check names a rule and, when the pod breaks it, says how, in the
 * words Pod Security Admission uses, so a refused pod's message reads like the API server's: {@code
 * violates PodSecurity "baseline:latest": privileged (container "main" must not set
 * securityContext.privileged=true)}. Containers, init containers and ephemeral containers are all
 * checked.
 */
public final class PodSecurityStandard {
  /** The reason of a pod failed because it breaks the policy's level. */
  public static final String REASON = "PodSecurity";

  /** Capabilities a baseline container may add. */
  static final Set<String> BASELINE_CAPABILITIES =
      Set.of(
          "AUDIT_WRITE",
          "CHOWN",
          "DAC_OVERRIDE",
          "FOWNER",
          "FSETID",
          "KILL",
          "MKNOD",
          "NET_BIND_SERVICE",
          "SETFCAP",
          "SETGID",
          "SETPCAP",
          "SETUID",
          "SYS_CHROOT");

  /** Sysctls a baseline pod may set (namespaced and isolated from other pods). */
  static final Set<String> SAFE_SYSCTLS =
      Set.of(
          "kernel.shm_rmid_forced",
          "net.ipv4.ip_local_port_range",
          "net.ipv4.ip_unprivileged_port_start",
          "net.ipv4.tcp_syncookies",
          "net.ipv4.ping_group_range",
          "net.ipv4.ip_local_reserved_ports",
          "net.ipv4.tcp_keepalive_time",
          "net.ipv4.tcp_fin_timeout",
          "net.ipv4.tcp_keepalive_intvl",
          "net.ipv4.tcp_keepalive_probes");

  /** SELinux types a baseline pod may set. */
  static final Set<String> SELINUX_TYPES =
      Set.of("container_t", "container_init_t", "container_kvm_t", "container_engine_t");

  /** Volume types a restricted pod may use. */
  static final Set<String> RESTRICTED_VOLUME_TYPES =
      Set.of(
          "configMap",
          "csi",
          "downwardAPI",
          "emptyDir",
          "ephemeral",
          "persistentVolumeClaim",
          "projected",
          "secret");

  private static final String APPARMOR_ANNOTATION =
      "container.apparmor.security.beta.kubernetes.io/";
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One rule of the standard.
   *
   * @param name the rule, as Pod Security Admission names it in its messages
   * @param level the lowest level that enforces it
   * @param replaces the baseline rule this restricted rule tightens (not checked as well), or null
   * @param detail how a pod breaks it, empty when it does not
   */
  record Check(
      String name,
      PodSecurityLevel level,
      String replaces,
      Function<Pod, Optional<String>> detail) {}

  static final List<Check> CHECKS =
      List.of(
          new Check(
              "hostProcess", PodSecurityLevel.BASELINE, null, PodSecurityStandard::hostProcess),
          new Check(
              "host namespaces",
              PodSecurityLevel.BASELINE,
              null,
              PodSecurityStandard::hostNamespaces),
          new Check("privileged", PodSecurityLevel.BASELINE, null, PodSecurityStandard::privileged),
          new Check(
              "non-default capabilities",
              PodSecurityLevel.BASELINE,
              null,
              PodSecurityStandard::baselineCapabilities),
          new Check(
              "hostPath volumes", PodSecurityLevel.BASELINE, null, PodSecurityStandard::hostPath),
          new Check("hostPort", PodSecurityLevel.BASELINE, null, PodSecurityStandard::hostPorts),
          new Check(
              "forbidden AppArmor profile",
              PodSecurityLevel.BASELINE,
              null,
              PodSecurityStandard::appArmor),
          new Check(
              "seLinuxOptions", PodSecurityLevel.BASELINE, null, PodSecurityStandard::seLinux),
          new Check("procMount", PodSecurityLevel.BASELINE, null, PodSecurityStandard::procMount),
          new Check(
              "seccompProfile",
              PodSecurityLevel.BASELINE,
              null,
              PodSecurityStandard::baselineSeccomp),
          new Check(
              "forbidden sysctls", PodSecurityLevel.BASELINE, null, PodSecurityStandard::sysctls),
          new Check(
              "restricted volume types",
              PodSecurityLevel.RESTRICTED,
              null,
              PodSecurityStandard::volumeTypes),
          new Check(
              "allowPrivilegeEscalation != false",
              PodSecurityLevel.RESTRICTED,
              null,
              PodSecurityStandard::privilegeEscalation),
          new Check(
              "runAsNonRoot != true",
              PodSecurityLevel.RESTRICTED,
              null,
              PodSecurityStandard::runAsNonRoot),
          new Check(
              "runAsUser=0", PodSecurityLevel.RESTRICTED, null, PodSecurityStandard::runAsUser),
          new Check(
              "seccompProfile",
              PodSecurityLevel.RESTRICTED,
              "seccompProfile",
              PodSecurityStandard::restrictedSeccomp),
          new Check(
              "unrestricted capabilities",
              PodSecurityLevel.RESTRICTED,
              "non-default capabilities",
              PodSecurityStandard::restrictedCapabilities));

  private PodSecurityStandard() {}

  /**
   * Every rule of {@code level} the pod breaks, each as {@code rule (how)}; empty when it meets it.
   */
  public static List<String> violations(Pod pod, PodSecurityLevel level) {
    List<Check> apply = CHECKS.stream().filter(c -> level.atLeast(c.level())).toList();
    Set<String> replaced =
        apply.stream().map(Check::replaces).filter(r -> r != null).collect(Collectors.toSet());
    List<String> out = new ArrayList<>();
    for (Check c : apply) {
      if (c.replaces() == null && c.level() != level && replaced.contains(c.name())) {
        continue;
      }
      c.detail().apply(pod).ifPresent(d -> out.add(c.name() + " (" + d + ")"));
    }
    return out;
  }

  /**
   * The refusal message of a pod that breaks {@code level}, in Pod Security Admission's words;
   * empty when the pod meets it.
   */
  public static Optional<String> refusal(Pod pod, PodSecurityLevel level) {
    List<String> v = violations(pod, level);
    if (v.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        "violates PodSecurity \"" + level.label() + ":latest\": " + String.join(", ", v));
  }

  // ---------------------------------------------------------------------------------------------
  // the containers of a pod, of all three kinds

  private record C(String name, SecurityContext sc, List<ContainerPort> ports) {
    SecurityContext ctx() {
      return sc == null ? new SecurityContext() : sc;
    }
  }

  private static List<C> containers(Pod pod) {
    PodSpec s = spec(pod);
    List<C> out = new ArrayList<>();
    PodShapes.nullSafe(s.getInitContainers())
        .forEach(c -> out.add(new C(c.getName(), c.getSecurityContext(), c.getPorts())));
    PodShapes.nullSafe(s.getContainers())
        .forEach(c -> out.add(new C(c.getName(), c.getSecurityContext(), c.getPorts())));
    PodShapes.nullSafe(s.getEphemeralContainers())
        .forEach(c -> out.add(new C(c.getName(), c.getSecurityContext(), c.getPorts())));
    return out;
  }

  private static PodSpec spec(Pod pod) {
    return pod.getSpec() == null ? new PodSpec() : pod.getSpec();
  }

  private static PodSecurityContext podCtx(Pod pod) {
    PodSecurityContext c = spec(pod).getSecurityContext();
    return c == null ? new PodSecurityContext() : c;
  }

  private static String quoted(List<String> names) {
    return names.stream().map(n -> "\"" + n + "\"").collect(Collectors.joining(", "));
  }

  /** {@code container "a"} or {@code containers "a", "b"}. */
  private static String who(List<String> names) {
    return (names.size() == 1 ? "container " : "containers ") + quoted(names);
  }

  private static Optional<String> joined(List<String> parts, String separator) {
    return parts.isEmpty() ? Optional.empty() : Optional.of(String.join(separator, parts));
  }

  private static List<String> names(Stream<C> cs) {
    return cs.map(C::name).toList();
  }

  // ---------------------------------------------------------------------------------------------
  // baseline

  private static Optional<String> hostProcess(Pod pod) {
    var pw = podCtx(pod).getWindowsOptions();
    boolean podSet = pw != null && Boolean.TRUE.equals(pw.getHostProcess());
    List<String> bad =
        names(
            containers(pod).stream()
                .filter(
                    c ->
                        c.ctx().getWindowsOptions() != null
                            && Boolean.TRUE.equals(c.ctx().getWindowsOptions().getHostProcess())));
    List<String> parts = new ArrayList<>();
    if (podSet) {
      parts.add("pod");
    }
    if (!bad.isEmpty()) {
      parts.add(who(bad));
    }
    return joined(parts, " and ")
        .map(w -> w + " must not set securityContext.windowsOptions.hostProcess=true");
  }

  private static Optional<String> hostNamespaces(Pod pod) {
    PodSpec s = spec(pod);
    List<String> set = new ArrayList<>();
    if (Boolean.TRUE.equals(s.getHostNetwork())) {
      set.add("hostNetwork=true");
    }
    if (Boolean.TRUE.equals(s.getHostPID())) {
      set.add("hostPID=true");
    }
    if (Boolean.TRUE.equals(s.getHostIPC())) {
      set.add("hostIPC=true");
    }
    return joined(set, ", ");
  }

  private static Optional<String> privileged(Pod pod) {
    List<String> bad =
        names(containers(pod).stream().filter(c -> Boolean.TRUE.equals(c.ctx().getPrivileged())));
    return bad.isEmpty()
        ? Optional.empty()
        : Optional.of(who(bad) + " must not set securityContext.privileged=true");
  }

  private static List<String> added(C c) {
    Capabilities caps = c.ctx().getCapabilities();
    return caps == null ? List.of() : PodShapes.nullSafe(caps.getAdd());
  }

  private static Optional<String> baselineCapabilities(Pod pod) {
    List<String> parts = new ArrayList<>();
    for (C c : containers(pod)) {
      List<String> extra =
          added(c).stream().filter(a -> !BASELINE_CAPABILITIES.contains(a)).toList();
      if (!extra.isEmpty()) {
        parts.add(
            who(List.of(c.name()))
                + " must not include "
                + quoted(extra)
                + " in securityContext.capabilities.add");
      }
    }
    return joined(parts, "; ");
  }

  private static Optional<String> hostPath(Pod pod) {
    List<String> bad =
        PodShapes.nullSafe(spec(pod).getVolumes()).stream()
            .filter(v -> v.getHostPath() != null)
            .map(Volume::getName)
            .toList();
    return bad.isEmpty()
        ? Optional.empty()
        : Optional.of((bad.size() == 1 ? "volume " : "volumes ") + quoted(bad));
  }

  private static Optional<String> hostPorts(Pod pod) {
    List<String> parts = new ArrayList<>();
    for (C c : containers(pod)) {
      List<String> ports =
          PodShapes.nullSafe(c.ports()).stream()
              .map(ContainerPort::getHostPort)
              .filter(p -> p != null && p != 0)
              .map(String::valueOf)
              .toList();
      if (!ports.isEmpty()) {
        parts.add(
            who(List.of(c.name()))
                + " uses "
                + (ports.size() == 1 ? "hostPort " : "hostPorts ")
                + String.join(", ", ports));
      }
    }
    return joined(parts, "; ");
  }

  private static boolean appArmorAllowed(String type) {
    return type == null || type.equals("RuntimeDefault") || type.equals("Localhost");
  }

  private static Optional<String> appArmor(Pod pod) {
    List<String> parts = new ArrayList<>();
    Map<String, String> annotations =
        pod.getMetadata() == null || pod.getMetadata().getAnnotations() == null
            ? Map.of()
            : pod.getMetadata().getAnnotations();
    annotations.entrySet().stream()
        .filter(e -> e.getKey().startsWith(APPARMOR_ANNOTATION))
        .filter(
            e ->
                e.getValue() != null
                    && !e.getValue().equals("runtime/default")
                    && !e.getValue().startsWith("localhost/"))
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> parts.add("annotation \"" + e.getKey() + "\"=\"" + e.getValue() + "\""));
    var podProfile = podCtx(pod).getAppArmorProfile();
    if (podProfile != null && !appArmorAllowed(podProfile.getType())) {
      parts.add("pod securityContext.appArmorProfile.type=\"" + podProfile.getType() + "\"");
    }
    for (C c : containers(pod)) {
      var p = c.ctx().getAppArmorProfile();
      if (p != null && !appArmorAllowed(p.getType())) {
        parts.add(
            who(List.of(c.name()))
                + " securityContext.appArmorProfile.type=\""
                + p.getType()
                + "\"");
      }
    }
    return joined(parts, ", ");
  }

  private static Optional<String> seLinuxProblem(SELinuxOptions o) {
    if (o == null) {
      return Optional.empty();
    }
    List<String> bad = new ArrayList<>();
    if (o.getType() != null && !o.getType().isEmpty() && !SELINUX_TYPES.contains(o.getType())) {
      bad.add("type \"" + o.getType() + "\"");
    }
    if (o.getUser() != null && !o.getUser().isEmpty()) {
      bad.add("user \"" + o.getUser() + "\"");
    }
    if (o.getRole() != null && !o.getRole().isEmpty()) {
      bad.add("role \"" + o.getRole() + "\"");
    }
    return joined(bad, ", ");
  }

  private static Optional<String> seLinux(Pod pod) {
    List<String> parts = new ArrayList<>();
    seLinuxProblem(podCtx(pod).getSeLinuxOptions())
        .ifPresent(p -> parts.add("pod set forbidden securityContext.seLinuxOptions: " + p));
    for (C c : containers(pod)) {
      seLinuxProblem(c.ctx().getSeLinuxOptions())
          .ifPresent(
              p ->
                  parts.add(
                      who(List.of(c.name()))
                          + " set forbidden securityContext.seLinuxOptions: "
                          + p));
    }
    return joined(parts, "; ");
  }

  private static Optional<String> procMount(Pod pod) {
    List<String> parts = new ArrayList<>();
    for (C c : containers(pod)) {
      String m = c.ctx().getProcMount();
      if (m != null && !m.equals("Default")) {
        parts.add(
            who(List.of(c.name())) + " must not set securityContext.procMount to \"" + m + "\"");
      }
    }
    return joined(parts, "; ");
  }

  private static String seccompType(io.fabric8.kubernetes.api.model.SeccompProfile p) {
    return p == null ? null : p.getType();
  }

  private static Optional<String> baselineSeccomp(Pod pod) {
    List<String> parts = new ArrayList<>();
    String podType = seccompType(podCtx(pod).getSeccompProfile());
    if ("Unconfined".equals(podType)) {
      parts.add("pod must not set securityContext.seccompProfile.type to \"Unconfined\"");
    }
    List<String> bad =
        names(
            containers(pod).stream()
                .filter(c -> "Unconfined".equals(seccompType(c.ctx().getSeccompProfile()))));
    if (!bad.isEmpty()) {
      parts.add(who(bad) + " must not set securityContext.seccompProfile.type to \"Unconfined\"");
    }
    return joined(parts, "; ");
  }

  private static Optional<String> sysctls(Pod pod) {
    List<String> bad =
        PodShapes.nullSafe(podCtx(pod).getSysctls()).stream()
            .map(Sysctl::getName)
            .filter(n -> !SAFE_SYSCTLS.contains(n))
            .toList();
    return joined(bad, ", ");
  }

  // ---------------------------------------------------------------------------------------------
  // restricted

  /** The volume's source field, e.g. {@code hostPath}, {@code nfs}, {@code emptyDir}. */
  @SuppressWarnings("unchecked")
  static String volumeType(Volume v) {
    Map<String, Object> fields = JSON.convertValue(v, Map.class);
    return fields.entrySet().stream()
        .filter(e -> !e.getKey().equals("name") && e.getValue() != null)
        .map(Map.Entry::getKey)
        .sorted()
        .findFirst()
        .orElse("emptyDir");
  }

  private static Optional<String> volumeTypes(Pod pod) {
    List<String> parts = new ArrayList<>();
    for (Volume v : PodShapes.nullSafe(spec(pod).getVolumes())) {
      String type = volumeType(v);
      if (!RESTRICTED_VOLUME_TYPES.contains(type)) {
        parts.add("volume \"" + v.getName() + "\" uses restricted volume type \"" + type + "\"");
      }
    }
    return joined(parts, ", ");
  }

  private static Optional<String> privilegeEscalation(Pod pod) {
    List<String> bad =
        names(
            containers(pod).stream()
                .filter(c -> !Boolean.FALSE.equals(c.ctx().getAllowPrivilegeEscalation())));
    return bad.isEmpty()
        ? Optional.empty()
        : Optional.of(who(bad) + " must set securityContext.allowPrivilegeEscalation=false");
  }

  private static Optional<String> runAsNonRoot(Pod pod) {
    Boolean podSet = podCtx(pod).getRunAsNonRoot();
    List<String> parts = new ArrayList<>();
    if (Boolean.FALSE.equals(podSet)) {
      parts.add("pod must not set securityContext.runAsNonRoot=false");
    }
    List<String> setFalse =
        names(
            containers(pod).stream().filter(c -> Boolean.FALSE.equals(c.ctx().getRunAsNonRoot())));
    if (!setFalse.isEmpty()) {
      parts.add(who(setFalse) + " must not set securityContext.runAsNonRoot=false");
    }
    if (podSet == null) {
      List<String> unset =
          names(containers(pod).stream().filter(c -> c.ctx().getRunAsNonRoot() == null));
      if (!unset.isEmpty()) {
        parts.add("pod or " + who(unset) + " must set securityContext.runAsNonRoot=true");
      }
    }
    return joined(parts, "; ");
  }

  private static Optional<String> runAsUser(Pod pod) {
    List<String> parts = new ArrayList<>();
    Long podUser = podCtx(pod).getRunAsUser();
    if (podUser != null && podUser == 0L) {
      parts.add("pod must not set runAsUser=0");
    }
    List<String> bad =
        names(
            containers(pod).stream()
                .filter(c -> c.ctx().getRunAsUser() != null && c.ctx().getRunAsUser() == 0L));
    if (!bad.isEmpty()) {
      parts.add(who(bad) + " must not set runAsUser=0");
    }
    return joined(parts, "; ");
  }

  private static boolean seccompAllowed(String type) {
    return "RuntimeDefault".equals(type) || "Localhost".equals(type);
  }

  private static Optional<String> restrictedSeccomp(Pod pod) {
    List<String> parts = new ArrayList<>();
    String podType = seccompType(podCtx(pod).getSeccompProfile());
    if (podType != null && !seccompAllowed(podType)) {
      parts.add("pod must not set securityContext.seccompProfile.type to \"" + podType + "\"");
    }
    List<String> unset = new ArrayList<>();
    for (C c : containers(pod)) {
      String t = seccompType(c.ctx().getSeccompProfile());
      if (t != null && !seccompAllowed(t)) {
        parts.add(
            who(List.of(c.name()))
                + " must not set securityContext.seccompProfile.type to \""
                + t
                + "\"");
      } else if (t == null && podType == null) {
        unset.add(c.name());
      }
    }
    if (!unset.isEmpty()) {
      parts.add(
          "pod or "
              + who(unset)
              + " must set securityContext.seccompProfile.type to \"RuntimeDefault\" or"
              + " \"Localhost\"");
    }
    return joined(parts, "; ");
  }

  private static Optional<String> restrictedCapabilities(Pod pod) {
    List<String> parts = new ArrayList<>();
    List<String> noDrop = new ArrayList<>();
    for (C c : containers(pod)) {
      Capabilities caps = c.ctx().getCapabilities();
      if (caps == null || !PodShapes.nullSafe(caps.getDrop()).contains("ALL")) {
        noDrop.add(c.name());
      }
    }
    if (!noDrop.isEmpty()) {
      parts.add(who(noDrop) + " must set securityContext.capabilities.drop=[\"ALL\"]");
    }
    for (C c : containers(pod)) {
      List<String> extra = added(c).stream().filter(a -> !a.equals("NET_BIND_SERVICE")).toList();
      if (!extra.isEmpty()) {
        parts.add(
            who(List.of(c.name()))
                + " must not include "
                + quoted(extra)
                + " in securityContext.capabilities.add");
      }
    }
    return joined(parts, "; ");
  }
}
