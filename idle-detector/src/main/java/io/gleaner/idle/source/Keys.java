package io.gleaner.idle.source;

/** The labels and annotations the idle-detector reads and writes (DESIGN §5). */
public final class Keys {
  private Keys() {}

  public static final String PREFIX = "gleaner.io/";

  /** Member node label while lent: {@code idle}, {@code volcano} or {@code colocation}. */
  public static final String POOL = "gleaner.io/pool";

  /** {@code true} keeps a node out of every pool. */
  public static final String EXCLUDE = "gleaner.io/exclude";

  /** RFC 3339: since when the node has been idle (written when lent). */
  public static final String IDLE_SINCE = "gleaner.io/idle-since";

  /** RFC 3339: when the node was lent. */
  public static final String LENT_AT = "gleaner.io/lent-at";

  /** RFC 3339: when the node was given back (by the descheduler or the detector). */
  public static final String RECLAIMED_AT = "gleaner.io/reclaimed-at";

  /** RFC 3339: the node may not be lent before this time. */
  public static final String COOLDOWN_UNTIL = "gleaner.io/cooldown-until";

  /** {@code true} on member pods Gleaner created. */
  public static final String MANAGED = "gleaner.io/managed";

  /** Volcano's pod annotation naming the PodGroup of a pod. */
  public static final String VOLCANO_GROUP = "scheduling.k8s.io/group-name";

  /** Koordinator's QoS label; {@code BE} marks a best-effort (batch) pod. */
  public static final String KOORDINATOR_QOS = "koordinator.sh/qosClass";
}
