package io.gleaner.meta.registry;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of {@link MemberRegistry}.
 *
 * @param defaultSecretNamespace namespace of kubeconfig Secrets whose ref names none (the namespace
 *     Gleaner runs in)
 * @param probeInterval how often each member's API server is probed ({@code GET /version})
 * @param healthyWithin a member is healthy only if a call succeeded this recently (clock time; keep
 *     it above probeInterval times the clock's speed-up)
 * @param statusRefreshInterval status is written on every change, and otherwise at most this often
 *     (to advance {@code lastContactTime})
 * @param resyncInterval how often every MemberCluster is reconciled again, re-reading its Secret
 *     (picks up a fixed or rotated kubeconfig)
 * @param client resilience settings of each member's calls
 * @param writeStatus whether this registry writes the MemberCluster status (conditions, {@code
 *     lastContactTime}, offered capacity); exactly one service of an installation should
 */
public record MemberRegistryConfig(
    String defaultSecretNamespace,
    Duration probeInterval,
    Duration healthyWithin,
    Duration statusRefreshInterval,
    Duration resyncInterval,
    MemberClientConfig client,
    boolean writeStatus) {

  public MemberRegistryConfig {
    Objects.requireNonNull(defaultSecretNamespace, "defaultSecretNamespace");
    positive(probeInterval, "probeInterval");
    positive(healthyWithin, "healthyWithin");
    positive(statusRefreshInterval, "statusRefreshInterval");
    positive(resyncInterval, "resyncInterval");
    Objects.requireNonNull(client, "client");
  }

  /**
   * Probe every 10 s, healthy within 30 s, status at least every 60 s, resync every 60 s; writes
   * status.
   */
  public static MemberRegistryConfig defaults(String defaultSecretNamespace) {
    return new MemberRegistryConfig(
        defaultSecretNamespace,
        Duration.ofSeconds(10),
        Duration.ofSeconds(30),
        Duration.ofSeconds(60),
        Duration.ofSeconds(60),
        MemberClientConfig.defaults(),
        true);
  }

  /** The same settings, writing MemberCluster status or not. */
  public MemberRegistryConfig withStatusWrites(boolean writeStatus) {
    return new MemberRegistryConfig(
        defaultSecretNamespace,
        probeInterval,
        healthyWithin,
        statusRefreshInterval,
        resyncInterval,
        client,
        writeStatus);
  }

  public MemberRegistryConfig withProbe(Duration probeInterval, Duration healthyWithin) {
    return new MemberRegistryConfig(
        defaultSecretNamespace,
        probeInterval,
        healthyWithin,
        statusRefreshInterval,
        resyncInterval,
        client,
        writeStatus);
  }

  public MemberRegistryConfig withStatusRefresh(Duration statusRefreshInterval) {
    return new MemberRegistryConfig(
        defaultSecretNamespace,
        probeInterval,
        healthyWithin,
        statusRefreshInterval,
        resyncInterval,
        client,
        writeStatus);
  }

  public MemberRegistryConfig withResync(Duration resyncInterval) {
    return new MemberRegistryConfig(
        defaultSecretNamespace,
        probeInterval,
        healthyWithin,
        statusRefreshInterval,
        resyncInterval,
        client,
        writeStatus);
  }

  public MemberRegistryConfig withClient(MemberClientConfig client) {
    return new MemberRegistryConfig(
        defaultSecretNamespace,
        probeInterval,
        healthyWithin,
        statusRefreshInterval,
        resyncInterval,
        client,
        writeStatus);
  }

  private static void positive(Duration d, String key) {
    if (d == null || d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(key + " must be > 0, got " + d);
    }
  }
}
