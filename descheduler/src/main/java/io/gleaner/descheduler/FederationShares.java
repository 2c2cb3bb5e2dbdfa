package io.gleaner.descheduler;

import io.fabric8.kubernetes.api.model.Pod;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.Capacity;
import io.gleaner.api.v1.TeamShare;
import io.gleaner.descheduler.plan.ReclaimFairness;
import io.gleaner.descheduler.trigger.PodViews;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.kube.SkippedPods;
import io.gleaner.meta.resources.Resources;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each team holds across the whole federation, for fair reclaim: summed from the descheduler's
 * own watches of every member (the Gleaner pods bound and not leaving, each counted for the team of
 * its {@code gleaner.io/meta-namespace}; a pod whose eviction this descheduler issued is leaving
 * before its member marks it terminating, as the plans count it), so a plan for one member knows
 * what the team holds on all of them without a call. The pool the teams share is the broker's
 * offered capacity, refreshed in the background ({@link #refreshPool()}); until the broker has
 * answered, or without one, it is what the teams hold (the pool counted as full).
 */
final class FederationShares {
  private static final Logger log = LoggerFactory.getLogger(FederationShares.class);

  private final Supplier<Teams> teams;
  private final Supplier<Collection<Collection<Pod>>> members;
  private final Function<Pod, Resources> requests;
  private final Supplier<Set<String>> evictionsIssued;
  private final BrokerApiClient broker;
  private volatile Resources offered = Resources.ZERO;
  private volatile Resources advertised = Resources.ZERO;
  private volatile Map<String, Resources> waiting = Map.of();
  private volatile Map<String, Long> pending = Map.of();

  /**
   * @param teams the policy's teams now
   * @param members the cached pods of every watched member
   * @param evictionsIssued the uids of the pods whose eviction this descheduler issued lately
   * @param broker the broker, asked for its offered capacity; null for none
   * @param instance the installation: only its pods count as what teams hold
   */
  private final String instance;

  FederationShares(
      Supplier<Teams> teams,
      Supplier<Collection<Collection<Pod>>> members,
      Function<Pod, Resources> requests,
      Supplier<Set<String>> evictionsIssued,
      BrokerApiClient broker,
      String instance) {
    this.instance = instance;
    this.teams = teams;
    this.members = members;
    this.requests = requests;
    this.evictionsIssued = evictionsIssued;
    this.broker = broker;
  }

  /**
   * Asks the broker for the offered and advertised capacity and what each team's pending pods ask
   * for; keeps the last answer when it cannot.
   */
  void refreshPool() {
    if (broker == null) {
      return;
    }
    try {
      Capacity c = broker.capacity();
      Map<String, Resources> w = new HashMap<>();
      Map<String, Long> n = new HashMap<>();
      for (TeamShare t : c.getTeamsList()) {
        Resources r = Resources.parse(t.getWaitingMap());
        if (!r.isZero()) {
          w.put(t.getTeam(), r);
          n.put(t.getTeam(), t.getPendingPods());
        }
      }
      Resources adv = Resources.parse(c.getAdvertisedMap());
      offered = Resources.parse(c.getOfferedMap());
      advertised = adv;
      waiting = Map.copyOf(w);
      pending = Map.copyOf(n);
    } catch (RuntimeException e) {
      log.debug("broker capacity not read, keeping the last: {}", e.toString());
    }
  }

  /**
   * What each team's pending metadata pods ask for (the broker's {@code TeamShare.waiting}), as
   * last read; empty before the broker answered or without one.
   */
  Map<String, Resources> waiting() {
    return waiting;
  }

  /** How many pods of each team wait for the virtual node (the broker's, as last read). */
  Map<String, Long> pending() {
    return pending;
  }

  /**
   * What the virtual node advertises (the pool less the reserve margins), as last read; zero before
   * the broker answered or without one.
   */
  Resources advertised() {
    return advertised;
  }

  /** The teams, the pool and what each team holds now. */
  ReclaimFairness now() {
    Teams t = teams.get();
    if (t.declared().isEmpty()) {
      return ReclaimFairness.NONE;
    }
    Map<String, Resources> usage = new HashMap<>();
    Resources held = Resources.ZERO;
    // evictions issued and not yet answered: without this, a pass running before the member marks
    // the victims terminating sees their team still holding the room and evicts more
    Set<String> issued = evictionsIssued.get();
    for (Collection<Pod> pods : members.get()) {
      for (Pod p : pods) {
        if (!PodViews.isOwn(p, instance)
            || PodViews.isDone(p)
            || PodViews.isTerminating(p)
            || issued.contains(p.getMetadata().getUid())
            || p.getSpec() == null
            || p.getSpec().getNodeName() == null) {
          continue;
        }
        Map<String, String> a = p.getMetadata().getAnnotations();
        String ns = a == null ? "" : a.getOrDefault(GleanerKeys.META_NAMESPACE, "");
        Resources r;
        try {
          r = requests.apply(p);
        } catch (RuntimeException e) {
          if (!SkippedPods.isBadRequests(e)) {
            throw e;
          }
          continue; // counted where its member's pass skips it
        }
        usage.merge(t.of(ns).name(), r, Resources::plus);
        held = held.plus(r);
      }
    }
    Resources pool = offered;
    for (String r : held.names()) {
      if (pool.get(r) < held.get(r)) {
        pool = pool.with(r, held.get(r));
      }
    }
    return new ReclaimFairness(t, pool, usage);
  }
}
