package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.vk.translate.MemberNames;
import io.gleaner.vk.translate.MemberPodTranslator;

/**
 * Reads a metadata pod's member pod from the member's API rather than the informer's cache, for a
 * pod created there that the cache has not shown (yet, or ever).
 */
final class MemberPodReads {
  private MemberPodReads() {}

  /**
   * The member pod of metadata pod {@code metaPod} (UID {@code uid}), or null when the member has
   * none; throws the client's exception when the member does not answer.
   */
  static Pod get(KubernetesClient member, MemberPodTranslator translator, Pod metaPod, String uid) {
    return member
        .pods()
        .inNamespace(
            translator.config().namespaces().memberNamespace(metaPod.getMetadata().getNamespace()))
        .withName(MemberNames.forUid(uid))
        .get();
  }
}
