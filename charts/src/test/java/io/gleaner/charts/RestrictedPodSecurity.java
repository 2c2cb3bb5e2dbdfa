package io.gleaner.charts;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The checks of the Pod Security Standards' {@code restricted} level (which includes {@code
 * baseline}), as Pod Security Admission applies them to a pod spec, plus the read-only root
 * filesystem Gleaner's chart adds. Each violation names the field and the rule it breaks.
 */
final class RestrictedPodSecurity {

  /** Volume types the restricted level allows. */
  private static final Set<String> VOLUME_TYPES =
      Set.of(
          "configMap",
          "csi",
          "downwardAPI",
          "emptyDir",
          "ephemeral",
          "persistentVolumeClaim",
          "projected",
          "secret");

  private static final Set<String> SAFE_SYSCTLS =
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

  private RestrictedPodSecurity() {}

  /** Every rule {@code pod} breaks, empty when it meets the restricted level. */
  static List<String> violations(PodSpec pod) {
    List<String> out = new ArrayList<>();
    PodSecurityContext psc = pod.getSecurityContext();
    if (Boolean.TRUE.equals(pod.getHostNetwork())) {
      out.add("hostNetwork: host namespaces are forbidden");
    }
    if (Boolean.TRUE.equals(pod.getHostPID())) {
      out.add("hostPID: host namespaces are forbidden");
    }
    if (Boolean.TRUE.equals(pod.getHostIPC())) {
      out.add("hostIPC: host namespaces are forbidden");
    }
    for (Volume v : pod.getVolumes() == null ? List.<Volume>of() : pod.getVolumes()) {
      String type = volumeType(v);
      if (!VOLUME_TYPES.contains(type)) {
        out.add("volumes[" + v.getName() + "]: volume type " + type + " is not allowed");
      }
    }
    if (psc != null) {
      if (psc.getSysctls() != null) {
        psc.getSysctls().stream()
            .filter(s -> !SAFE_SYSCTLS.contains(s.getName()))
            .forEach(s -> out.add("securityContext.sysctls: " + s.getName() + " is not safe"));
      }
      if (psc.getRunAsUser() != null && psc.getRunAsUser() == 0) {
        out.add("securityContext.runAsUser: 0 (root) is forbidden");
      }
      if (Boolean.FALSE.equals(psc.getRunAsNonRoot())) {
        out.add("securityContext.runAsNonRoot: must not be false");
      }
      if (psc.getSeLinuxOptions() != null) {
        seLinux(psc.getSeLinuxOptions(), "securityContext", out);
      }
      if (psc.getAppArmorProfile() != null
          && "Unconfined".equals(psc.getAppArmorProfile().getType())) {
        out.add("securityContext.appArmorProfile.type: Unconfined is forbidden");
      }
    }
    boolean podNonRoot = psc != null && Boolean.TRUE.equals(psc.getRunAsNonRoot());
    SeccompProfile podSeccomp = psc == null ? null : psc.getSeccompProfile();
    if (podSeccomp != null && !allowedSeccomp(podSeccomp)) {
      out.add("securityContext.seccompProfile.type: " + podSeccomp.getType() + " is forbidden");
    }
    for (Container c : containers(pod)) {
      String at = "containers[" + c.getName() + "]";
      SecurityContext sc = c.getSecurityContext();
      for (ContainerPort p : c.getPorts() == null ? List.<ContainerPort>of() : c.getPorts()) {
        if (p.getHostPort() != null && p.getHostPort() != 0) {
          out.add(at + ".ports: hostPort " + p.getHostPort() + " is forbidden");
        }
      }
      if (sc == null) {
        out.add(at + ".securityContext: missing");
        if (!podNonRoot) {
          out.add(at + ": runAsNonRoot must be true (pod or container)");
        }
        if (podSeccomp == null) {
          out.add(at + ": seccompProfile must be RuntimeDefault or Localhost (pod or container)");
        }
        continue;
      }
      if (Boolean.TRUE.equals(sc.getPrivileged())) {
        out.add(at + ".securityContext.privileged: must not be true");
      }
      if (!Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
        out.add(at + ".securityContext.allowPrivilegeEscalation: must be false");
      }
      if (!Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem())) {
        out.add(at + ".securityContext.readOnlyRootFilesystem: must be true (Gleaner's rule)");
      }
      if (sc.getProcMount() != null && !sc.getProcMount().equals("Default")) {
        out.add(at + ".securityContext.procMount: must be Default");
      }
      if (sc.getRunAsUser() != null && sc.getRunAsUser() == 0) {
        out.add(at + ".securityContext.runAsUser: 0 (root) is forbidden");
      }
      if (Boolean.FALSE.equals(sc.getRunAsNonRoot())) {
        out.add(at + ".securityContext.runAsNonRoot: must not be false");
      } else if (!podNonRoot && !Boolean.TRUE.equals(sc.getRunAsNonRoot())) {
        out.add(at + ": runAsNonRoot must be true (pod or container)");
      }
      SeccompProfile seccomp = sc.getSeccompProfile();
      if (seccomp != null && !allowedSeccomp(seccomp)) {
        out.add(
            at + ".securityContext.seccompProfile.type: " + seccomp.getType() + " is forbidden");
      } else if (seccomp == null && podSeccomp == null) {
        out.add(at + ": seccompProfile must be RuntimeDefault or Localhost (pod or container)");
      }
      Capabilities caps = sc.getCapabilities();
      if (caps == null || caps.getDrop() == null || !caps.getDrop().contains("ALL")) {
        out.add(at + ".securityContext.capabilities.drop: must contain ALL");
      }
      if (caps != null && caps.getAdd() != null) {
        caps.getAdd().stream()
            .filter(a -> !a.equals("NET_BIND_SERVICE"))
            .forEach(
                a -> out.add(at + ".securityContext.capabilities.add: " + a + " is forbidden"));
      }
      if (sc.getSeLinuxOptions() != null) {
        seLinux(sc.getSeLinuxOptions(), at + ".securityContext", out);
      }
      if (sc.getAppArmorProfile() != null
          && "Unconfined".equals(sc.getAppArmorProfile().getType())) {
        out.add(at + ".securityContext.appArmorProfile.type: Unconfined is forbidden");
      }
      if (sc.getWindowsOptions() != null
          && Boolean.TRUE.equals(sc.getWindowsOptions().getHostProcess())) {
        out.add(at + ".securityContext.windowsOptions.hostProcess: forbidden");
      }
    }
    return out;
  }

  private static List<Container> containers(PodSpec pod) {
    return Stream.concat(
            pod.getInitContainers() == null ? Stream.empty() : pod.getInitContainers().stream(),
            pod.getContainers() == null ? Stream.empty() : pod.getContainers().stream())
        .toList();
  }

  private static boolean allowedSeccomp(SeccompProfile p) {
    return "RuntimeDefault".equals(p.getType()) || "Localhost".equals(p.getType());
  }

  private static void seLinux(
      io.fabric8.kubernetes.api.model.SELinuxOptions o, String at, List<String> out) {
    if (o.getType() != null
        && !Set.of("", "container_t", "container_init_t", "container_kvm_t")
            .contains(o.getType())) {
      out.add(at + ".seLinuxOptions.type: " + o.getType() + " is forbidden");
    }
    if (o.getUser() != null && !o.getUser().isEmpty()) {
      out.add(at + ".seLinuxOptions.user: must not be set");
    }
    if (o.getRole() != null && !o.getRole().isEmpty()) {
      out.add(at + ".seLinuxOptions.role: must not be set");
    }
  }

  private static String volumeType(Volume v) {
    if (v.getConfigMap() != null) {
      return "configMap";
    }
    if (v.getSecret() != null) {
      return "secret";
    }
    if (v.getEmptyDir() != null) {
      return "emptyDir";
    }
    if (v.getPersistentVolumeClaim() != null) {
      return "persistentVolumeClaim";
    }
    if (v.getProjected() != null) {
      return "projected";
    }
    if (v.getDownwardAPI() != null) {
      return "downwardAPI";
    }
    if (v.getCsi() != null) {
      return "csi";
    }
    if (v.getEphemeral() != null) {
      return "ephemeral";
    }
    if (v.getHostPath() != null) {
      return "hostPath";
    }
    return "other";
  }
}
