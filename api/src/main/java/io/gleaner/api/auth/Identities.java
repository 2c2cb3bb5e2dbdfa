package io.gleaner.api.auth;

/**
 * The callers of Gleaner's gRPC APIs, by the subject CN of their client certificate. The chart
 * issues one certificate per service with these names, and one for {@link #READER}.
 */
public final class Identities {
  private Identities() {}

  public static final String IDLE_DETECTOR = "idle-detector";
  public static final String VIRTUAL_KUBELET = "virtual-kubelet";
  public static final String DESCHEDULER = "descheduler";

  /** Read-only callers: dashboards, {@code gleaner capacity}, reclaim-hook subscribers. */
  public static final String READER = "reader";

  /** The name of a caller without a verified certificate in logs and metric tags. */
  public static final String ANONYMOUS = "anonymous";
}
