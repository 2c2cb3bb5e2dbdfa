package io.gleaner.cli.service;

import io.gleaner.api.tls.CertificateFiles;
import io.gleaner.api.tls.TlsMaterial;
import io.gleaner.meta.config.VirtualKubeletConfig;
import io.gleaner.meta.policy.PolicyWatcher;
import io.gleaner.meta.registry.MemberRegistry;
import io.gleaner.vk.VirtualKubeletService;
import io.gleaner.vk.kubelet.KubeletAuth;
import io.gleaner.vk.kubelet.ServingCertificates;
import io.gleaner.vk.node.NodeConfig;
import io.gleaner.vk.pod.MemberClusters;
import io.gleaner.vk.translate.NamespaceMapping;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Assembles the virtual-kubelet from its configuration: the node, the pod controller and the
 * kubelet API with its serving certificate.
 */
public final class VirtualKubeletFactory {
  private VirtualKubeletFactory() {}

  /**
   * Starts the virtual-kubelet in {@code ctx}; it stops when {@code ctx} closes.
   *
   * @param podIp the address the node advertises (the pod's IP, {@code POD_IP}); null keeps the
   *     default
   */
  public static VirtualKubeletService start(ServiceContext ctx, String podIp) {
    MemberRegistry registry = ctx.registry(false);
    MemberClusters members = MemberClusters.of(registry);
    Vertx vertx = Vertx.vertx();
    ctx.onClose(vertx::close);
    VirtualKubeletService.Settings base =
        VirtualKubeletService.Settings.sandbox(ctx.config().instance());
    VirtualKubeletConfig c = ctx.config().virtualKubelet();
    NodeConfig node = base.node().withName(c.nodeName()).withKubeletPort(c.kubeletPort());
    if (podIp != null && !podIp.isBlank()) {
      node =
          new NodeConfig(
              node.name(),
              podIp,
              node.kubeletPort(),
              node.kubeletVersion(),
              node.maxPods(),
              node.extraLabels());
    }
    VirtualKubeletConfig.Tls tls = c.tls();
    TlsMaterial files =
        tls.files() ? TlsMaterial.fromFiles(Path.of(tls.certFile()), Path.of(tls.keyFile())) : null;
    // how long a pod may wait for room comes from the GleanerPolicy named "default" (read at start)
    PolicyWatcher policy = ctx.policy();
    Duration pendingTimeout = policy.current().pendingTimeout();
    VirtualKubeletService.Settings settings =
        new VirtualKubeletService.Settings(
            node,
            ctx.config().instance(),
            namespaceMapping(c.namespaceMapping()),
            base.pods().withPendingTimeout(pendingTimeout),
            base.timing(),
            base.brokerDeadline(),
            "0.0.0.0",
            files,
            c.anonymousAuth(),
            c.clientCAFile() == null
                ? List.of()
                : KubeletAuth.readCertificates(Path.of(c.clientCAFile())));
    VirtualKubeletService vk =
        new VirtualKubeletService(
            ctx.clock(),
            ctx.metrics().registry(),
            ctx.meta(),
            members,
            ctx.brokerChannel(),
            vertx,
            settings,
            ctx.election(),
            policy);
    vk.start();
    ctx.onClose(vk::stop);
    if (c.clientCAFile() != null) {
      // a rotated cluster CA (kube-root-ca.crt updated in place) is followed, as a kubelet does
      var cas =
          CertificateFiles.watch(
              Path.of(c.clientCAFile()),
              CertificateFiles.DEFAULT_POLL,
              pem -> vk.trustKubeletClientCas(KubeletAuth.certificates(pem)));
      ctx.onClose(cas::close);
    }
    // The serving certificate stays current: renewed files are re-read, or a kubelet-serving CSR
    // is issued.
    if (tls.files()) {
      var certs =
          ServingCertificates.watchFiles(
              Path.of(tls.certFile()),
              Path.of(tls.keyFile()),
              Duration.ofMinutes(1),
              Clock.systemUTC(),
              vk::updateKubeletTls);
      ctx.onClose(certs::close);
    } else if (tls.csr()) {
      var certs =
          ServingCertificates.requestFromCluster(
              ctx.meta(),
              node.name(),
              node.internalIp(),
              Duration.ofSeconds(5),
              Clock.systemUTC(),
              vk::updateKubeletTls);
      ctx.onClose(certs::close);
    }
    return vk;
  }

  static NamespaceMapping namespaceMapping(VirtualKubeletConfig.NamespaceMapping m) {
    return switch (m.mode()) {
      case SAME -> NamespaceMapping.identity();
      case PREFIX -> new NamespaceMapping(m.prefix(), Map.of());
      case SINGLE -> NamespaceMapping.single(m.namespace());
    };
  }
}
