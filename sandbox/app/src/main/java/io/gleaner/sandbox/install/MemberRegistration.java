package io.gleaner.sandbox.install;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.gleaner.meta.crd.MemberRole;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * README "Deploying" step 2 for one member: the kubeconfig built from its member chart's token
 * Secret, and what registers it in the metadata cluster, the kubeconfig Secret {@code
 * <member>-kubeconfig} (key {@code kubeconfig}) and the cluster-scoped {@code MemberCluster}.
 *
 * @param member the member's name
 * @param kubeconfig the kubeconfig Gleaner reaches the member with
 * @param secret what {@code kubectl create secret generic <member>-kubeconfig
 *     --from-file=kubeconfig=...} creates
 * @param memberCluster what {@code kubectl apply -f <member>.yaml} creates
 */
public record MemberRegistration(
    String member, String kubeconfig, Secret secret, GenericKubernetesResource memberCluster) {
  public MemberRegistration {
    Objects.requireNonNull(member, "member");
    Objects.requireNonNull(kubeconfig, "kubeconfig");
    Objects.requireNonNull(secret, "secret");
    Objects.requireNonNull(memberCluster, "memberCluster");
  }

  /**
   * The registration of member {@code member}, its Secret in {@code namespace} (where Gleaner
   * runs), enabled.
   */
  public static MemberRegistration of(
      String member,
      Set<MemberRole> roles,
      String region,
      String zone,
      String kubeconfig,
      String namespace) {
    String secretName = member + "-kubeconfig";
    Secret secret =
        new SecretBuilder()
            .withNewMetadata()
            .withName(secretName)
            .withNamespace(namespace)
            .endMetadata()
            .withType("Opaque")
            .addToStringData("kubeconfig", kubeconfig)
            .build();
    GenericKubernetesResource memberCluster =
        new GenericKubernetesResourceBuilder()
            .withApiVersion("gleaner.io/v1alpha1")
            .withKind("MemberCluster")
            .withNewMetadata()
            .withName(member)
            .endMetadata()
            .addToAdditionalProperties(
                "spec",
                Map.of(
                    "roles",
                    new ArrayList<>(
                        new TreeSet<>(roles.stream().map(MemberRole::wireName).toList())),
                    "region",
                    region,
                    "zone",
                    zone,
                    "enabled",
                    true,
                    "kubeconfigSecretRef",
                    Map.of("name", secretName, "namespace", namespace, "key", "kubeconfig")))
            .build();
    return new MemberRegistration(member, kubeconfig, secret, memberCluster);
  }

  /** The Secret first, then the MemberCluster that names it. */
  public List<HasMetadata> objects() {
    return List.of(secret, memberCluster);
  }
}
