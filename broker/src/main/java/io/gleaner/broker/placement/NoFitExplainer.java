package io.gleaner.broker.placement;

import static io.gleaner.broker.placement.Dimensions.GPU;
import static io.gleaner.broker.placement.Dimensions.PODS;

import io.gleaner.broker.model.NoFit;
import io.gleaner.broker.model.PodRequest;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.kube.KubeToleration;
import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Says why no node takes a pod, in one sentence a user can act on plus a count of nodes per reason
 * (a {@link NoFit}). It reads what the decision left behind: the pod's {@link Demand} and the
 * {@link Misses} of the nodes it visited. Runs only on refusals, off the hot path. Not thread-safe.
 */
final class NoFitExplainer {
  private final NodeTable t;
  private final Dimensions dims;
  private final Demand demand;
  private final Misses misses;
  private final CapacityReports reports;

  NoFitExplainer(NodeTable t, Demand demand, Misses misses, CapacityReports reports) {
    this.t = t;
    this.dims = t.dims;
    this.demand = demand;
    this.misses = misses;
    this.reports = reports;
  }

  /** No node is offered at all. */
  static NoFit nothingOffered() {
    return new NoFit(
        "no member node lends capacity right now; the pod waits until an offer arrives",
        List.of("0 nodes offered"),
        Resources.ZERO);
  }

  /** The pod requests a resource no active node lends. */
  NoFit missingResource(PodRequest req, PlacementPolicy policy) {
    List<String> missing = new ArrayList<>();
    for (String name : req.requests().names()) {
      if (name.equals(Resources.PODS)) {
        continue;
      }
      Integer d = dims.find(name);
      if (d == null || t.totalCap(d) == 0) {
        missing.add(name);
      }
    }
    String what = String.join(", ", missing);
    return new NoFit(
        "pod requests " + what + " but no lent node has it",
        List.of(t.activeCount() + " nodes: none offers " + what),
        reports.largestFree(req.workloadClass(), policy));
  }

  /**
   * The refusal of an offline pod that fits a node but would eat into the near-line reserve, or
   * null when it would not.
   */
  NoFit nearLineReserve(PlacementPolicy policy) {
    int pct = policy.nearLineReservePercent();
    if (pct == 0) {
      return null;
    }
    for (int i = 0; i < demand.count; i++) {
      int d = demand.dims[i];
      if (d == PODS) {
        continue;
      }
      long total = t.healthyCap[d];
      long allowed = total - Math.floorDiv(Math.multiplyExact(total, (long) pct), 100L);
      if (t.offlineUsed[d] + demand.v[d] > allowed) {
        String name = dims.name(d);
        return new NoFit(
            "offline pods may use at most "
                + (100 - pct)
                + "% of the lent "
                + name
                + " (the rest is the near-line"
                + " reserve): offline pods hold "
                + dims.format(d, t.offlineUsed[d])
                + " of "
                + dims.format(d, allowed)
                + ", pod requests "
                + dims.format(d, demand.v[d])
                + "; retry later or run it as near-line",
            List.of("near-line reserve " + pct + "% of " + name),
            reports.largestFree(WorkloadClass.OFFLINE, policy));
      }
    }
    return null;
  }

  /**
   * The answer for a pod refused because a smaller one was: exact when the dominant resource is
   * short.
   */
  NoFit fromSmaller(PodRequest req, NoFit smaller, PlacementPolicy policy) {
    int keyIdx = demand.keyIndex(t.healthyCap);
    int key = NodeTable.KEY_DIMS[keyIdx];
    int top = reports.topSlot(keyIdx, req.workloadClass(), policy);
    long maxKey = top < 0 ? 0 : t.free(key, top);
    Resources largest = top < 0 ? Resources.ZERO : reports.freeOf(top);
    String message =
        maxKey < demand.v[key]
            ? largestOffers(key, maxKey)
            : "no node has the pod's requests "
                + req.requests()
                + " free at once (a smaller pod was just refused: "
                + smaller.message()
                + ")";
    return new NoFit(message, smaller.reasons(), largest);
  }

  /** Why the search over key dimension {@code key} found no node. */
  /** Why the members the last decision left out refused it by quota (set by the engine). */
  List<String> quotaRefusals = List.of();

  NoFit explain(PodRequest req, int key, PlacementPolicy policy) {
    WorkloadClass cls = req.workloadClass();
    int disallowed = 0;
    int gpuless = 0;
    for (int g = 0; g < NodeTable.GROUPS; g++) {
      int count = t.index[g][0].count;
      if (!policy.allows(cls, NodeTable.SOURCES[g / 2])) {
        disallowed += count;
      } else if (demand.v[GPU] > 0 && g % 2 == 0) {
        gpuless += count;
      }
    }
    List<String> reasons = new ArrayList<>();
    int active = t.activeCount();
    if (active == 0) {
      return nothingOffered();
    }
    int resourceFails = 0;
    for (int d = 0; d < dims.count(); d++) {
      int n = misses.lacking(d) + (d == GPU ? gpuless : 0);
      if (n > 0) {
        reasons.add(n + " nodes: insufficient " + dims.name(d));
        resourceFails += n;
      }
    }
    int device = misses.count(Misses.DEVICE);
    int taint = misses.count(Misses.TAINT);
    int selector = misses.count(Misses.SELECTOR);
    int unhealthy = misses.count(Misses.UNHEALTHY);
    int excluded = misses.count(Misses.EXCLUDED);
    int quota = misses.count(Misses.QUOTA);
    int draining = misses.count(Misses.DRAINING);
    if (device > 0) {
      reasons.add(
          device
              + " nodes: no GPU device with "
              + (req.sharesGpu()
                  ? req.gpuMilli() + "m free"
                  : req.requests().gpus() + " whole free GPUs"));
      resourceFails += device;
    }
    if (taint > 0) {
      reasons.add(taint + " nodes: taints not tolerated");
    }
    if (selector > 0) {
      reasons.add(selector + " nodes: do not match nodeSelector/affinity");
    }
    if (unhealthy > 0) {
      reasons.add(unhealthy + " nodes: member cluster unhealthy");
    }
    if (excluded > 0) {
      reasons.add(excluded + " nodes: excluded by the request");
    }
    if (quota > 0) {
      reasons.add(quota + " nodes: their member's ResourceQuota is full");
    }
    if (draining > 0) {
      reasons.add(
          draining
              + " nodes: draining for online work; they take only pods whose declared"
              + " expected run time ("
              + GleanerKeys.EXPECTED_RUNTIME
              + ") ends before then");
    }
    if (disallowed > 0) {
      reasons.add(disallowed + " nodes: source not allowed for class " + cls.label());
    }
    Resources largest = reports.largestFree(cls, policy);
    String message;
    if (disallowed == active) {
      message =
          "only "
              + String.join("/", sourcesOfActive())
              + " capacity is lent now, and "
              + cls.label()
              + " pods may not use it";
    } else if (resourceFails == 0 && quota > 0) {
      message = String.join("; ", quotaRefusals);
    } else if (resourceFails == 0 && taint > 0 && selector == 0) {
      message = "no node tolerates the pod: untolerated taints " + untoleratedTaints(req);
    } else if (resourceFails == 0 && selector > 0) {
      message =
          "no lent node matches the pod's nodeSelector/required affinity " + describeSelector(req);
    } else if (resourceFails == 0 && draining > 0 && taint == 0 && unhealthy == 0) {
      message =
          "the only nodes with room are draining for online work and take only pods that declare"
              + " an expected run time ("
              + GleanerKeys.EXPECTED_RUNTIME
              + ") ending before their room runs out";
    } else if (resourceFails == 0 && unhealthy > 0) {
      message =
          "the only nodes that would fit belong to unhealthy member clusters; the pod waits for them";
    } else if (demand.v[GPU] > 0 && resourceFails == misses.lacking(GPU) + gpuless + device) {
      int top = reports.topSlot(2, cls, policy);
      message =
          req.sharesGpu()
              ? "no GPU device has " + req.gpuMilli() + "m free for the pod's GPU share"
              : "no node has "
                  + req.requests().gpus()
                  + " whole free GPUs; the most on one node is "
                  + (top < 0 ? 0 : reports.wholeFree(top));
    } else {
      message = resourceMessage(req, key, policy);
    }
    return new NoFit(message, reasons, largest);
  }

  private String resourceMessage(PodRequest req, int key, PlacementPolicy policy) {
    long maxKey = reports.maxFree(key, req.workloadClass(), policy);
    if (maxKey < demand.v[key]) {
      return largestOffers(key, maxKey);
    }
    int worst = -1;
    int worstCount = 0;
    for (int d = 0; d < dims.count(); d++) {
      if (d != key && misses.lacking(d) > worstCount) {
        worst = d;
        worstCount = misses.lacking(d);
      }
    }
    if (worst < 0) {
      return "no node has room for the pod's requests "
          + req.requests()
          + " with the reserve margins kept free";
    }
    return "nodes with "
        + dims.format(key, demand.v[key])
        + " "
        + dims.unit(key)
        + " free lack "
        + dims.unit(worst)
        + ": closest is "
        + dims.format(worst, misses.closest(worst))
        + " short, pod requests "
        + dims.format(worst, demand.v[worst])
        + " "
        + dims.unit(worst);
  }

  private String largestOffers(int key, long maxKey) {
    return "largest free node offers "
        + dims.format(key, maxKey)
        + " "
        + dims.unit(key)
        + ", pod requests "
        + dims.format(key, demand.v[key])
        + " "
        + dims.unit(key);
  }

  private String untoleratedTaints(PodRequest req) {
    Set<String> out = new LinkedHashSet<>();
    for (int s = 0; s < t.size && out.size() < 3; s++) {
      if (t.offers[s] == null) {
        continue;
      }
      for (KubeTaint taint : t.blockingTaints[s]) {
        if (!KubeToleration.tolerated(taint, req.tolerations())) {
          out.add(taint.toString());
        }
      }
    }
    return String.join(", ", out);
  }

  private static String describeSelector(PodRequest req) {
    List<String> parts = new ArrayList<>();
    req.nodeSelector().forEach((k, v) -> parts.add(k + "=" + v));
    req.affinity().forEach(term -> parts.add(term.toString()));
    return String.join(" or ", parts);
  }

  private Set<String> sourcesOfActive() {
    Set<String> out = new TreeSet<>();
    for (int s = 0; s < t.size; s++) {
      if (t.offers[s] != null) {
        out.add(t.offers[s].source().name());
      }
    }
    return out;
  }
}
