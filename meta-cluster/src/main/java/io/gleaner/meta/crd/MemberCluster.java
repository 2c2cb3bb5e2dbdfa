package io.gleaner.meta.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.ArrayList;
import java.util.List;

/**
 * A member cluster Gleaner lends capacity from. <b>Cluster-scoped</b>: a member is a property of
 * the whole Gleaner installation, like a Node, and its name is the cluster name used everywhere
 * else (MDC key {@code cluster}, metric tag {@code cluster}, {@code gleaner.io/source} labels). The
 * kubeconfig Secret it points to is namespaced and named explicitly in the spec.
 */
@Group(MemberCluster.GROUP)
@Version(MemberCluster.VERSION)
@Kind("MemberCluster")
@Plural("memberclusters")
@Singular("membercluster")
@ShortNames("gmc")
@AdditionalPrinterColumn(
    name = "Roles",
    jsonPath = ".spec.roles",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Region",
    jsonPath = ".spec.region",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Enabled",
    jsonPath = ".spec.enabled",
    type = AdditionalPrinterColumn.Type.BOOLEAN)
@AdditionalPrinterColumn(
    name = "Reachable",
    jsonPath = ".status.conditions[?(@.type==\"Reachable\")].status",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Last Contact",
    jsonPath = ".status.lastContactTime",
    type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class MemberCluster extends CustomResource<MemberClusterSpec, MemberClusterStatus> {
  public static final String GROUP = "gleaner.io";
  public static final String VERSION = "v1alpha1";

  /** {@code memberclusters.gleaner.io}. */
  public static final String CRD_NAME = "memberclusters." + GROUP;

  public MemberCluster() {}

  /** Convenience for tests and tools: a member named {@code name} with the given spec. */
  public static MemberCluster of(String name, MemberClusterSpec spec) {
    MemberCluster mc = new MemberCluster();
    ObjectMeta meta = new ObjectMeta();
    meta.setName(name);
    mc.setMetadata(meta);
    mc.setSpec(spec);
    return mc;
  }

  /**
   * Validates the whole object: the name (a DNS label, since it becomes a label value and part of
   * resource names) and the spec. Empty when valid.
   */
  public List<FieldError> validate() {
    List<FieldError> errors = new ArrayList<>();
    String name = getMetadata() == null ? null : getMetadata().getName();
    if (name == null || name.isEmpty()) {
      errors.add(new FieldError("metadata.name", "is required"));
    } else {
      Validation.pattern(
          errors,
          "metadata.name",
          name,
          Validation.DNS_LABEL,
          "a DNS label (lower-case letters, digits, '-')");
      if (name.length() > 63) {
        errors.add(
            new FieldError("metadata.name", "must be at most 63 characters, got " + name.length()));
      }
    }
    if (getSpec() == null) {
      errors.add(new FieldError("spec", "is required"));
    } else {
      errors.addAll(getSpec().validate());
    }
    return errors;
  }
}
