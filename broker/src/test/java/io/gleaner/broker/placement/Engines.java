package io.gleaner.broker.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.broker.model.NoFit;
import io.gleaner.broker.model.NodeOffer;
import io.gleaner.broker.model.Placement;
import io.gleaner.broker.model.PodRequest;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.resources.Resources;
import java.util.Arrays;

/** Offers, pods and decisions for the tests of the placement package. */
final class Engines {
  static final PlacementPolicy NO_MARGINS = PlacementPolicy.defaults().withoutMargins();

  private Engines() {}

  static NodeOffer node(String cluster, String name, CapacitySource src, String... res) {
    return NodeOffer.of(cluster, name, src, Resources.of(res));
  }

  static NodeOffer node(String cluster, String name, String... res) {
    return node(cluster, name, CapacitySource.IDLE, res);
  }

  static PodRequest pod(String uid, String... res) {
    return PodRequest.of(uid, WorkloadClass.NEAR_LINE, Resources.of(res));
  }

  static PlacementEngine.Fit fit(PlacementEngine e, PodRequest p) {
    PlacementEngine.Decision d = e.decide(p);
    assertThat(d).as("decision for %s", p.podUid()).isInstanceOf(PlacementEngine.Fit.class);
    return (PlacementEngine.Fit) d;
  }

  static NoFit noFit(PlacementEngine e, PodRequest p) {
    PlacementEngine.Decision d = e.decide(p);
    assertThat(d).as("decision for %s", p.podUid()).isInstanceOf(PlacementEngine.Refusal.class);
    return ((PlacementEngine.Refusal) d).noFit();
  }

  static String refusal(PlacementEngine e, PodRequest p) {
    return noFit(e, p).message();
  }

  /** Decides and reserves, like the ledger does. */
  static Placement place(PlacementEngine e, PodRequest p) {
    PlacementEngine.Fit f = fit(e, p);
    Placement pl =
        new Placement(
            p.podUid(),
            "",
            "",
            f.node(),
            f.source(),
            p.workloadClass(),
            p.requests(),
            Arrays.stream(f.gpuDevices()).boxed().toList(),
            f.gpuMilli(),
            0,
            false);
    e.reserve(pl);
    return pl;
  }
}
