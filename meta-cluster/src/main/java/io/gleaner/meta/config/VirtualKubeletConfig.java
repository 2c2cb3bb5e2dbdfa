package io.gleaner.meta.config;

/**
 * The virtual-kubelet service ({@code virtualKubelet.*}).
 *
 * @param nodeName the virtual node's name in the metadata cluster
 * @param kubeletPort the kubelet API port (logs, exec); 0 picks a free one
 * @param namespaceMapping where a metadata pod's namespace lands in a member cluster
 * @param tls the kubelet API's serving certificate
 * @param anonymousAuth authenticate kubelet API requests that carry neither a client certificate
 *     nor a bearer token as {@code system:anonymous} (as a kubelet's {@code --anonymous-auth});
 *     they are still authorized with a SubjectAccessReview. Off by default
 * @param clientCAFile PEM bundle of the CAs whose client certificates the kubelet API accepts (user
 *     = CN, groups = O), as a kubelet's {@code --client-ca-file}: kube-apiserver presents one (its
 *     {@code --kubelet-client-certificate}) when it relays {@code kubectl logs/exec}. The cluster
 *     CA is the {@code ca.crt} of the {@code kube-root-ca.crt} ConfigMap of every namespace; null =
 *     bearer tokens only
 */
public record VirtualKubeletConfig(
    String nodeName,
    int kubeletPort,
    NamespaceMapping namespaceMapping,
    Tls tls,
    boolean anonymousAuth,
    String clientCAFile)
    implements Validatable {
  public static final VirtualKubeletConfig DEFAULTS =
      new VirtualKubeletConfig(
          "gleaner",
          10250,
          new NamespaceMapping(NamespaceMapping.Mode.PREFIX, "gleaner-", "gleaner"),
          new Tls(null, null, false),
          false,
          null);

  /**
   * {@code virtualKubelet.tls.*}: PEM files (re-read when they change, e.g. a mounted Secret
   * renewed by cert-manager), or {@code csr: true} for a {@code kubernetes.io/kubelet-serving}
   * certificate requested through a CertificateSigningRequest; neither = a self-signed certificate
   * generated at start.
   *
   * @param certFile the certificate chain
   * @param keyFile the private key
   * @param csr request the certificate from the metadata cluster
   */
  public record Tls(String certFile, String keyFile, boolean csr) implements Validatable {
    /** Whether the certificate comes from files. */
    public boolean files() {
      return certFile != null && keyFile != null;
    }

    @Override
    public void validate(Problems p) {
      if ((certFile == null) != (keyFile == null)) {
        p.add(
            certFile == null ? "certFile" : "keyFile",
            "must be set together with "
                + (certFile == null ? "keyFile" : "certFile")
                + " (a certificate needs its key)");
      }
      if (csr && (certFile != null || keyFile != null)) {
        p.add(
            "csr",
            "csr: true requests the certificate from the cluster; do not also set certFile/keyFile");
      }
    }
  }

  @Override
  public void validate(Problems p) {
    p.dnsSubdomain("nodeName", nodeName);
    p.inRange("kubeletPort", kubeletPort, 0, 65535);
    p.check(
        clientCAFile == null || !clientCAFile.isBlank(),
        "clientCAFile",
        clientCAFile,
        "must name a PEM file, or be left out (bearer tokens only)");
  }

  /**
   * {@code virtualKubelet.namespaceMapping.*}.
   *
   * @param mode PREFIX (the default): {@code prefix} + the metadata namespace, a namespace Gleaner
   *     creates and that holds no member workload; SAME: the metadata namespace, shared with
   *     whatever the member runs there; SINGLE: every pod into {@code namespace}, copied ConfigMaps
   *     and Secrets named {@code <metadata namespace>.<name>}
   * @param prefix used by PREFIX
   * @param namespace used by SINGLE
   */
  public record NamespaceMapping(Mode mode, String prefix, String namespace)
      implements Validatable {
    /** How metadata namespaces map to member namespaces. */
    public enum Mode {
      SAME,
      PREFIX,
      SINGLE
    }

    /** The member namespace for a pod in metadata namespace {@code metaNamespace}. */
    public String memberNamespace(String metaNamespace) {
      return switch (mode) {
        case SAME -> metaNamespace;
        case PREFIX -> prefix + metaNamespace;
        case SINGLE -> namespace;
      };
    }

    @Override
    public void validate(Problems p) {
      p.check(mode != null, "mode", null, "must be one of SAME, PREFIX, SINGLE");
      if (mode == Mode.PREFIX) {
        p.check(
            prefix != null && prefix.length() <= 30 && prefix.matches("[a-z0-9]([-a-z0-9]*)?"),
            "prefix",
            prefix,
            "must be lower-case letters, digits and '-', start with a letter or digit, at most 30 characters");
      }
      if (mode == Mode.SINGLE) {
        p.dnsLabel("namespace", namespace);
      }
    }
  }
}
