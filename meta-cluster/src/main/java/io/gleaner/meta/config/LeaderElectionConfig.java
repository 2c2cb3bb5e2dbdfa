package io.gleaner.meta.config;

import java.time.Duration;

/**
 * Leader election ({@code leaderElection.*}).
 *
 * @param enabled elect a leader through ZooKeeper; false makes this replica always the leader (only
 *     safe with one replica); flag {@code --leader-elect}
 * @param leaseDuration the ZooKeeper session timeout: how long after losing contact a leader's
 *     lease expires and another replica may take over. The leader acts at most 2/3 of it past its
 *     last confirmed ZooKeeper round trip, and pauses as soon as the connection is suspended; flag
 *     {@code --leader-elect-lease-duration}
 */
public record LeaderElectionConfig(boolean enabled, Duration leaseDuration) implements Validatable {
  public static final LeaderElectionConfig DEFAULTS =
      new LeaderElectionConfig(true, Duration.ofSeconds(15));

  @Override
  public void validate(Problems p) {
    p.check(
        leaseDuration != null && leaseDuration.compareTo(Duration.ofSeconds(1)) >= 0,
        "leaseDuration",
        leaseDuration,
        "must be at least 1s");
  }
}
