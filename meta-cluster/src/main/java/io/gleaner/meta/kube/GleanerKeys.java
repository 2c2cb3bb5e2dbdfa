package io.gleaner.meta.kube;

/**
 * Every label, annotation, condition and well-known name Gleaner reads or writes on Kubernetes
 * objects, its own ({@code gleaner.io/...}) and those of the projects it works with (Volcano,
 * Koordinator, virtual-kubelet, Kubernetes itself).
 */
public final class GleanerKeys {
  private GleanerKeys() {}

  /** The prefix of Gleaner's own keys. */
  public static final String PREFIX = "gleaner.io/";

  // Member pods Gleaner creates (labels).

  /** {@code true} on member pods Gleaner created. */
  public static final String MANAGED = "gleaner.io/managed";

  /** The workload class of a Gleaner pod: {@link #CLASS_NEAR_LINE} or {@link #CLASS_OFFLINE}. */
  public static final String CLASS = "gleaner.io/class";

  public static final String CLASS_NEAR_LINE = "near-line";
  public static final String CLASS_OFFLINE = "offline";

  /** The capacity source (pool) a member pod was placed on: {@code idle} or {@code colocation}. */
  public static final String SOURCE = "gleaner.io/source";

  /**
   * On the scale-up placeholders the idle-detector keeps in elastic members (value: the
   * installation): pods that ask the member's autoscaler for nodes and never run Gleaner work.
   */
  public static final String SCALE_UP = "gleaner.io/scale-up";

  /** Namespace of the scale-up placeholders in every elastic member. */
  public static final String SCALE_UP_NAMESPACE = "gleaner-scale-up";

  /**
   * PriorityClass of the scale-up placeholders (member chart): above cluster-autoscaler's
   * expendable cutoff (-10), below the descheduler's online threshold (0), never preempting.
   */
  public static final String SCALE_UP_PRIORITY_CLASS = "gleaner-scale-up";

  /** The uid of the metadata pod a member pod runs for. */
  public static final String META_UID = "gleaner.io/meta-uid";

  public static final String META_NAMESPACE = "gleaner.io/meta-namespace";
  public static final String META_NAME = "gleaner.io/meta-name";

  /**
   * The installation (release) that owns a member pod: its virtual-kubelet created it, and only its
   * descheduler evicts it and only its idle-detector counts it as lent work.
   */
  public static final String INSTANCE = "gleaner.io/instance";

  /** The member cluster of a pod, or of a serving certificate. */
  public static final String CLUSTER = "gleaner.io/cluster";

  /** The virtual node of a pod or a serving certificate. */
  public static final String NODE = "gleaner.io/node";

  /**
   * Annotation on a member pod holding the metadata pod's own labels (a JSON object): carried
   * there, not as labels, so that no member Service, ReplicaSet or other selector matches a Gleaner
   * pod.
   */
  public static final String META_LABELS = "gleaner.io/meta-labels";

  // Objects Gleaner keeps in member namespaces (labels).

  /** {@code true} on a member copy of a metadata ConfigMap or Secret. */
  public static final String COPY = "gleaner.io/copy";

  /** {@code true} on the member ConfigMap that owns the member pods of a namespace. */
  public static final String OWNER = "gleaner.io/pod-owner";

  /** Fallback minMember of a Gleaner pod's gang when its member has no PodGroup of that name. */
  public static final String GANG_MIN_MEMBER = "gleaner.io/gang-min-member";

  /**
   * A member pod's gang, federation-wide: {@code <metadata namespace>/<PodGroup name>}. The
   * descheduler keys the gang by it, not by the part it sees in one member.
   */
  public static final String GANG = "gleaner.io/gang";

  /** How many pods of the gang the broker placed together (in every member). */
  public static final String GANG_MEMBERS = "gleaner.io/gang-members";

  /**
   * Pod annotation: how long the pod expects to run, a duration such as {@code 20m} or {@code
   * 1h30m}; the broker prefers member nodes whose forecast room outlasts it.
   */
  public static final String EXPECTED_RUNTIME = "gleaner.io/expected-runtime";

  /** The priority classes of Gleaner's member pods. */
  public static final String PRIORITY_NEAR_LINE = "gleaner-near-line";

  public static final String PRIORITY_OFFLINE = "gleaner-offline";

  // Member nodes (labels and annotations).

  /** Member node label while lent: {@code idle}, {@code volcano} or {@code colocation}. */
  public static final String POOL = "gleaner.io/pool";

  /**
   * Member node label while lent as {@code idle}: the instance ({@link #INSTANCE}) whose
   * idle-detector lends it. Only that installation offers, renews and returns the node ({@link
   * LendClaim}).
   */
  public static final String LENT_BY = "gleaner.io/lent-by";

  /** RFC 3339: when the lending instance last renewed its claim ({@link #LENT_BY}). */
  public static final String LENT_RENEWED_AT = "gleaner.io/lent-renewed-at";

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

  // The virtual node (annotations) and metadata pods (conditions).

  /** The largest shape the broker can place now, e.g. {@code cpu=4,memory=16Gi}. */
  public static final String LARGEST_SHAPE = "gleaner.io/largest-shape";

  /** Followed by a resource name: that resource of the largest placeable shape. */
  public static final String LARGEST_SHAPE_PREFIX = "gleaner.io/largest-shape-";

  public static final String MEMBER_NODES = "gleaner.io/member-nodes";
  public static final String CAPACITY_GENERATED_AT = "gleaner.io/capacity-generated-at";

  /**
   * Pod condition set by the virtual-kubelet while the member cluster holding the pod does not
   * answer.
   */
  public static final String CONDITION_MEMBER_REACHABLE = "gleaner.io/MemberReachable";

  /**
   * The scheduling gate ({@code spec.schedulingGates[].name}) that holds a metadata pod back from
   * the scheduler until the virtual-kubelet admits it to the virtual node in its team's fair turn.
   */
  public static final String FAIR_SHARE_GATE = "gleaner.io/fair-share";

  /** RFC 3339, on a metadata pod: when the virtual-kubelet removed its {@link #FAIR_SHARE_GATE}. */
  public static final String ADMITTED_AT = "gleaner.io/admitted-at";

  /**
   * Pod condition of a metadata pod held at {@link #FAIR_SHARE_GATE}: False while it waits (reason
   * {@code WaitingForTeamTurn} or {@code TeamAtCap}), True once admitted.
   */
  public static final String CONDITION_FAIR_SHARE = "gleaner.io/FairShare";

  /**
   * Member pod annotation the descheduler sets just before it evicts the pod for a reason of
   * Gleaner's own, not the member's (room for a team's guarantee): the reclaim reason as in the
   * ReclaimEvent ({@code TeamGuarantee}). The virtual-kubelet names it in the reclaimed metadata
   * pod's status, with {@link #RECLAIM_MESSAGE}.
   */
  public static final String RECLAIM_REASON = "gleaner.io/reclaim-reason";

  /** Member pod annotation: what {@link #RECLAIM_REASON} took the pod for, in words. */
  public static final String RECLAIM_MESSAGE = "gleaner.io/reclaim-message";

  // Events.

  /** Reason of the Events the descheduler records. */
  public static final String RECLAIM_EVENT_REASON = "GleanerReclaimed";

  /** The descheduler's reporting component. */
  public static final String DESCHEDULER_COMPONENT = "gleaner-descheduler";

  // Other projects' keys.

  /** Volcano's pod annotation naming the pod's PodGroup. */
  public static final String VOLCANO_GROUP_NAME = "scheduling.k8s.io/group-name";

  public static final String VOLCANO_PODGROUP_API_VERSION = "scheduling.volcano.sh/v1beta1";
  public static final String VOLCANO_PODGROUP_KIND = "PodGroup";

  /** Koordinator's QoS label; {@code BE} marks best-effort pods that consume batch resources. */
  public static final String KOORDINATOR_QOS = "koordinator.sh/qosClass";

  /** The taint key of virtual-kubelet nodes. */
  public static final String VIRTUAL_NODE_TAINT_KEY = "virtual-kubelet.io/provider";

  public static final String HOSTNAME_LABEL = "kubernetes.io/hostname";
  public static final String ZONE_LABEL = "topology.kubernetes.io/zone";

  /**
   * Finalizer the virtual-kubelet puts on every MemberCluster it creates pods in: a deleted member
   * stays until Gleaner's pods there are gone and their metadata pods failed for recreation.
   */
  public static final String MEMBER_PODS_FINALIZER = "gleaner.io/member-pods";
}
