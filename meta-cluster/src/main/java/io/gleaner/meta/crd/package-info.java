/**
 * The Gleaner custom resources, group {@code gleaner.io}, version {@code v1alpha1}.
 *
 * <ul>
 *   <li>{@link io.gleaner.meta.crd.MemberCluster} (cluster-scoped): a member cluster, its
 *       kubeconfig Secret, roles, region/zone; status {@code Reachable}/{@code Ready}, last
 *       contact, offered capacity.
 *   <li>{@link io.gleaner.meta.crd.GleanerPolicy} (cluster-scoped, the one named {@code default}
 *       applies): reserve margins, near-line reserve, idle thresholds, cool-downs, eviction limits.
 * </ul>
 *
 * <p>Defaults live twice, on purpose: in the schema ({@code @Default}, so the API server fills them
 * in and {@code kubectl get -o yaml} shows them) and in Java ({@code effective()}, for objects the
 * API server did not default, such as ones read from files or the fabric8 mock). Validation too:
 * schema annotations let the API server reject bad values; {@code validate()} names each bad field
 * by path for status conditions and error messages.
 *
 * <p>The CRD YAML in {@code META-INF/gleaner/crds} and {@code charts/gleaner/crds} is generated
 * from these classes; {@code CrdYamlTest} fails when it drifts and says how to regenerate.
 */
package io.gleaner.meta.crd;
