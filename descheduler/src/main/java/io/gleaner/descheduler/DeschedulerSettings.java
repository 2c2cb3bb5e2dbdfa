package io.gleaner.descheduler;

import io.gleaner.descheduler.hooks.Webhook;
import io.gleaner.meta.config.DeschedulerConfig;
import io.gleaner.meta.resources.Resources;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the descheduler can be told but the GleanerPolicy's part (reclaim cool-down, eviction
 * limits), which it follows live. The keys in {@link DeschedulerConfig} (decisionWindow, dryRun,
 * priorityThreshold, hooks) come from the shared config file; the rest have defaults here.
 *
 * @param decisionWindow the longest a burst is gathered before it is planned as one (on the
 *     service's clock)
 * @param decisionQuiet a burst is taken as complete once no new trigger came for this long (at most
 *     decisionWindow)
 * @param nominationBound how long native preemption gets after nominating a node before Gleaner
 *     steps in
 * @param memberPreemption whether members' schedulers preempt, by default
 * @param memberPreemptionOverrides per-cluster exceptions to {@code memberPreemption}
 * @param evictionPermitTimeout how long an eviction may wait for the eviction limits before it
 *     counts as refused
 * @param pdbBlockedFor how long a victim refused by a PodDisruptionBudget is left out of plans
 * @param periodicInterval null for event-driven (the product); set to run as a periodic descheduler
 *     (for comparison)
 * @param instance the installation ({@code gleaner.io/instance}) whose member pods this descheduler
 *     may evict and whose lent nodes it may return; other installations' pods are load to it
 */
public record DeschedulerSettings(
    Duration decisionWindow,
    Duration decisionQuiet,
    boolean dryRun,
    int priorityThreshold,
    Duration nominationBound,
    boolean memberPreemption,
    Map<String, Boolean> memberPreemptionOverrides,
    Duration evictionPermitTimeout,
    Resources nodeReserve,
    Duration pdbBlockedFor,
    Duration brokerDeadline,
    List<Webhook> webhooks,
    int hubQueueCapacity,
    Duration periodicInterval,
    String instance) {

  public static final DeschedulerSettings DEFAULTS =
      new DeschedulerSettings(
          Duration.ofMillis(250),
          Duration.ofMillis(25),
          false,
          0,
          Duration.ofSeconds(5),
          true,
          Map.of(),
          Duration.ofSeconds(2),
          Resources.ZERO,
          Duration.ofSeconds(60),
          Duration.ofSeconds(2),
          List.of(),
          10_000,
          null,
          "gleaner");

  public DeschedulerSettings {
    check(decisionWindow, "decisionWindow");
    check(decisionQuiet, "decisionQuiet");
    check(nominationBound, "nominationBound");
    check(evictionPermitTimeout, "evictionPermitTimeout");
    check(pdbBlockedFor, "pdbBlockedFor");
    check(brokerDeadline, "brokerDeadline");
    if (instance == null || instance.isBlank()) {
      throw new IllegalArgumentException("descheduler instance must not be blank");
    }
    memberPreemptionOverrides =
        memberPreemptionOverrides == null ? Map.of() : Map.copyOf(memberPreemptionOverrides);
    webhooks = webhooks == null ? List.of() : List.copyOf(webhooks);
    Objects.requireNonNull(nodeReserve, "nodeReserve");
    if (hubQueueCapacity < 1) {
      throw new IllegalArgumentException(
          "descheduler.hubQueueCapacity must be >= 1, got " + hubQueueCapacity);
    }
    if (periodicInterval != null && (periodicInterval.isNegative() || periodicInterval.isZero())) {
      throw new IllegalArgumentException(
          "descheduler.periodicInterval must be > 0 when set, got " + periodicInterval);
    }
  }

  private static void check(Duration d, String key) {
    if (d == null || d.isNegative()) {
      throw new IllegalArgumentException(
          "descheduler." + key + " must be a duration >= 0, got " + d);
    }
  }

  /**
   * The defaults with the shared config file's keys applied; webhook signing keys are read from
   * their files now.
   */
  public static DeschedulerSettings from(DeschedulerConfig c) {
    return DEFAULTS
        .withWindow(c.decisionWindow())
        .withDryRun(c.dryRun())
        .withPriorityThreshold(c.priorityThreshold())
        .withWebhooks(
            new java.util.TreeMap<>(c.hooks().webhooks())
                .entrySet().stream()
                    .map(e -> Webhook.fromConfig(e.getKey(), e.getValue()))
                    .toList());
  }

  public boolean memberPreemption(String cluster) {
    return memberPreemptionOverrides.getOrDefault(cluster, memberPreemption);
  }

  /** This installation's instance ({@code instance} of the shared configuration). */
  public DeschedulerSettings withInstance(String v) {
    return new DeschedulerSettings(
        decisionWindow,
        decisionQuiet,
        dryRun,
        priorityThreshold,
        nominationBound,
        memberPreemption,
        memberPreemptionOverrides,
        evictionPermitTimeout,
        nodeReserve,
        pdbBlockedFor,
        brokerDeadline,
        webhooks,
        hubQueueCapacity,
        periodicInterval,
        v);
  }

  public DeschedulerSettings withWindow(Duration d) {
    return new DeschedulerSettings(
        d,
        decisionQuiet,
        dryRun,
        priorityThreshold,
        nominationBound,
        memberPreemption,
        memberPreemptionOverrides,
        evictionPermitTimeout,
        nodeReserve,
        pdbBlockedFor,
        brokerDeadline,
        webhooks,
        hubQueueCapacity,
        periodicInterval,
        instance);
  }

  public DeschedulerSettings withQuiet(Duration d) {
    return new DeschedulerSettings(
        decisionWindow,
        d,
        dryRun,
        priorityThreshold,
        nominationBound,
        memberPreemption,
        memberPreemptionOverrides,
        evictionPermitTimeout,
        nodeReserve,
        pdbBlockedFor,
        brokerDeadline,
        webhooks,
        hubQueueCapacity,
        periodicInterval,
        instance);
  }

  public DeschedulerSettings withDryRun(boolean v) {
    return new DeschedulerSettings(
        decisionWindow,
        decisionQuiet,
        v,
        priorityThreshold,
        nominationBound,
        memberPreemption,
        memberPreemptionOverrides,
        evictionPermitTimeout,
        nodeReserve,
        pdbBlockedFor,
        brokerDeadline,
        webhooks,
        hubQueueCapacity,
        periodicInterval,
        instance);
  }

  public DeschedulerSettings withPriorityThreshold(int v) {
    return new DeschedulerSettings(
        decisionWindow,
        decisionQuiet,
        dryRun,
        v,
        nominationBound,
        memberPreemption,
        memberPreemptionOverrides,
        evictionPermitTimeout,
        nodeReserve,
        pdbBlockedFor,
        brokerDeadline,
        webhooks,
        hubQueueCapacity,
        periodicInterval,
        instance);
  }

  public DeschedulerSettings withMemberPreemption(boolean v, Map<String, Boolean> overrides) {
    return new DeschedulerSettings(
        decisionWindow,
        decisionQuiet,
        dryRun,
        priorityThreshold,
        nominationBound,
        v,
        overrides,
        evictionPermitTimeout,
        nodeReserve,
        pdbBlockedFor,
        brokerDeadline,
        webhooks,
        hubQueueCapacity,
        periodicInterval,
        instance);
  }

  public DeschedulerSettings withWebhooks(List<Webhook> hooks) {
    return new DeschedulerSettings(
        decisionWindow,
        decisionQuiet,
        dryRun,
        priorityThreshold,
        nominationBound,
        memberPreemption,
        memberPreemptionOverrides,
        evictionPermitTimeout,
        nodeReserve,
        pdbBlockedFor,
        brokerDeadline,
        hooks,
        hubQueueCapacity,
        periodicInterval,
        instance);
  }

  public DeschedulerSettings withEvictionPermitTimeout(Duration d) {
    return new DeschedulerSettings(
        decisionWindow,
        decisionQuiet,
        dryRun,
        priorityThreshold,
        nominationBound,
        memberPreemption,
        memberPreemptionOverrides,
        d,
        nodeReserve,
        pdbBlockedFor,
        brokerDeadline,
        webhooks,
        hubQueueCapacity,
        periodicInterval,
        instance);
  }

  /**
   * Runs as a periodic descheduler every {@code interval} instead of reacting to events (for
   * comparison only).
   */
  public DeschedulerSettings periodic(Duration interval) {
    return new DeschedulerSettings(
        decisionWindow,
        decisionQuiet,
        dryRun,
        priorityThreshold,
        nominationBound,
        memberPreemption,
        memberPreemptionOverrides,
        evictionPermitTimeout,
        nodeReserve,
        pdbBlockedFor,
        brokerDeadline,
        webhooks,
        hubQueueCapacity,
        interval,
        instance);
  }
}
