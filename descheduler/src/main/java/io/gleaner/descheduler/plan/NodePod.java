package io.gleaner.descheduler.plan;

import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A pod bound to a lent node. Non-Gleaner pods only take room; Gleaner member pods ({@code
 * gleaner}) are the possible victims. A terminating pod (deletion requested, or evicted by us
 * moments ago) is already leaving: its room counts as free and it is never chosen again.
 *
 * @param requests effective requests including {@code pods: 1}
 * @param startTime when the pod started (for "youngest first"); null counts as just now
 * @param gracePeriodSeconds the pod's terminationGracePeriodSeconds, used for its eviction
 * @param metaNamespace the namespace of the metadata pod a Gleaner pod runs for (annotation {@code
 *     gleaner.io/meta-namespace}), which decides its team; empty when unknown
 */
public record NodePod(
    String namespace,
    String name,
    String uid,
    Resources requests,
    boolean gleaner,
    PodClass podClass,
    Pool source,
    int priority,
    Instant startTime,
    long gracePeriodSeconds,
    Optional<Gang> gang,
    boolean terminating,
    String metaUid,
    String metaNamespace) {
  public NodePod {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    uid = uid == null ? "" : uid;
    requests = requests == null ? Resources.ZERO : requests;
    podClass = podClass == null ? PodClass.OFFLINE : podClass;
    source = source == null ? Pool.UNKNOWN : source;
    gang = gang == null ? Optional.empty() : gang;
    metaUid = metaUid == null ? "" : metaUid;
    metaNamespace = metaNamespace == null ? "" : metaNamespace;
    if (gracePeriodSeconds < 0) {
      throw new IllegalArgumentException(
          "pod "
              + namespace
              + "/"
              + name
              + ": gracePeriodSeconds must be >= 0, got "
              + gracePeriodSeconds);
    }
  }

  /** A pod whose metadata namespace is unknown. */
  public NodePod(
      String namespace,
      String name,
      String uid,
      Resources requests,
      boolean gleaner,
      PodClass podClass,
      Pool source,
      int priority,
      Instant startTime,
      long gracePeriodSeconds,
      Optional<Gang> gang,
      boolean terminating,
      String metaUid) {
    this(
        namespace,
        name,
        uid,
        requests,
        gleaner,
        podClass,
        source,
        priority,
        startTime,
        gracePeriodSeconds,
        gang,
        terminating,
        metaUid,
        "");
  }

  public String key() {
    return namespace + "/" + name;
  }

  /** A copy marked as leaving. */
  public NodePod asTerminating() {
    return new NodePod(
        namespace,
        name,
        uid,
        requests,
        gleaner,
        podClass,
        source,
        priority,
        startTime,
        gracePeriodSeconds,
        gang,
        true,
        metaUid,
        metaNamespace);
  }
}
