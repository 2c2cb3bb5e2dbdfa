package io.gleaner.vk.translate;

/** Label, annotation and condition keys the virtual-kubelet reads and writes (DESIGN §5). */
public final class GleanerKeys {
  public static final String CLASS = "gleaner.io/class";
  public static final String MANAGED = "gleaner.io/managed";
  public static final String META_UID = "gleaner.io/meta-uid";
  public static final String SOURCE = "gleaner.io/source";
  public static final String INSTANCE = "gleaner.io/instance";
  public static final String POOL = "gleaner.io/pool";
  public static final String META_NAMESPACE = "gleaner.io/meta-namespace";
  public static final String META_NAME = "gleaner.io/meta-name";
  public static final String CLUSTER = "gleaner.io/cluster";
  public static final String NODE = "gleaner.io/node";

  /** Koordinator's QoS label; {@code BE} marks best-effort pods that consume batch resources. */
  public static final String KOORDINATOR_QOS = "koordinator.sh/qosClass";

  public static final String CLASS_NEAR_LINE = "near-line";
  public static final String CLASS_OFFLINE = "offline";
  public static final String PRIORITY_NEAR_LINE = "gleaner-near-line";
  public static final String PRIORITY_OFFLINE = "gleaner-offline";

  /**
   * Pod condition set by the virtual-kubelet while the member cluster holding the pod does not
   * answer.
   */
  public static final String CONDITION_MEMBER_REACHABLE = "gleaner.io/MemberReachable";

  public static final String VIRTUAL_NODE_TAINT_KEY = "virtual-kubelet.io/provider";
  public static final String HOSTNAME_LABEL = "kubernetes.io/hostname";

  private GleanerKeys() {}
}
