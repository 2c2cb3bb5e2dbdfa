/**
 * The one home of the Kubernetes rules every Gleaner service applies: taints and tolerations
 * ({@link io.gleaner.meta.kube.KubeTaint}, {@link io.gleaner.meta.kube.KubeToleration}), node
 * selectors and required node affinity ({@link io.gleaner.meta.kube.KubeNodeAffinity}), effective
 * pod requests ({@link io.gleaner.meta.kube.PodRequests}) and Gleaner's label and annotation keys
 * ({@link io.gleaner.meta.kube.GleanerKeys}). Quantities are parsed and added by {@link
 * io.gleaner.meta.resources.Resources} and {@link io.gleaner.meta.resources.Quantities}, which
 * these classes use.
 *
 * <p>The types are pre-parsed (operators and effects are enums, nulls are normalized once) so the
 * broker's placement loop can match them without allocating. The simulator's scheduler deliberately
 * does not use this package: it plays kube-scheduler as the test oracle for these rules.
 */
package io.gleaner.meta.kube;
