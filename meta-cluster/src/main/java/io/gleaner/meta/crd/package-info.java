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
 * <p>Defaults live once, in Java (the {@code *_DEFAULT} constants, applied by {@code effective()};
 * {@link io.gleaner.meta.crd.EffectivePolicy#DEFAULTS} is the policy without an object). The
 * GleanerPolicy schema declares no {@code default:}, so a stored object holds only what its author
 * set and a new Gleaner version's defaults apply to it; each field's description names its default,
 * from the same constant. Validation lives twice: schema annotations let the API server reject bad
 * values; {@code validate()} names each bad field by path for status conditions and error messages.
 *
 * <p>The CRD YAML in {@code META-INF/gleaner/crds} and {@code charts/gleaner/crds} is generated
 * from these classes; {@code CrdYamlTest} fails when it drifts and says how to regenerate.
 */
package io.gleaner.meta.crd;
