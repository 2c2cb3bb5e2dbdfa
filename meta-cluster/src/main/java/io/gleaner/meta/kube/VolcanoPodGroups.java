package io.gleaner.meta.kube;

import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

/**
 * Volcano's {@code PodGroup} (scheduling.volcano.sh/v1beta1), which only members running Volcano
 * serve. Gleaner addresses it by this explicit context, never by apiVersion and kind: fabric8 then
 * skips API discovery, and a member without Volcano answers 404 (a kind not served) instead of
 * fabric8 failing before any request with "Could not find the metadata for the given apiVersion and
 * kind".
 */
public final class VolcanoPodGroups {
  private VolcanoPodGroups() {}

  public static final ResourceDefinitionContext CONTEXT =
      new ResourceDefinitionContext.Builder()
          .withGroup(GleanerKeys.VOLCANO_PODGROUP_API_VERSION.split("/")[0])
          .withVersion(GleanerKeys.VOLCANO_PODGROUP_API_VERSION.split("/")[1])
          .withKind(GleanerKeys.VOLCANO_PODGROUP_KIND)
          .withPlural("podgroups")
          .withNamespaced(true)
          .build();
}
