package io.gleaner.descheduler;

/** Labels, annotations and names the descheduler reads and writes (DESIGN §5). */
public final class Keys {
  public static final String MANAGED = "gleaner.io/managed";
  public static final String CLASS = "gleaner.io/class";
  public static final String SOURCE = "gleaner.io/source";
  public static final String META_UID = "gleaner.io/meta-uid";
  public static final String INSTANCE = "gleaner.io/instance";
  public static final String POOL = "gleaner.io/pool";
  public static final String RECLAIMED_AT = "gleaner.io/reclaimed-at";
  public static final String COOLDOWN_UNTIL = "gleaner.io/cooldown-until";

  /** Volcano's pod annotation naming the pod's PodGroup. */
  public static final String GROUP_NAME = "scheduling.k8s.io/group-name";

  /**
   * Fallback minMember of a Gleaner pod's gang when no PodGroup of that name exists in the member.
   */
  public static final String GANG_MIN_MEMBER = "gleaner.io/gang-min-member";

  public static final String PODGROUP_API_VERSION = "scheduling.volcano.sh/v1beta1";
  public static final String PODGROUP_KIND = "PodGroup";

  /** Reason of the Events the descheduler records. */
  public static final String EVENT_REASON = "GleanerReclaimed";

  public static final String COMPONENT = "gleaner-descheduler";

  private Keys() {}
}
