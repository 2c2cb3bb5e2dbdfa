package io.gleaner.descheduler;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.gleaner.descheduler.trigger.PodViews;
import io.gleaner.meta.crd.GleanerPolicySpec;
import io.gleaner.meta.crd.TeamSpec;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.resources.Resources;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FederationSharesTest {
  private static final Teams TEAMS = teams();

  private static Teams teams() {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setTeams(List.of(new TeamSpec("ml", List.of("ml-ns"), 1.0)));
    return spec.effective().teams();
  }

  private static FederationShares shares(List<Pod> pods, Set<String> evictionsIssued) {
    List<Collection<Pod>> members = List.of(pods);
    return new FederationShares(
        () -> TEAMS, () -> members, PodViews::requests, () -> evictionsIssued, null, "gleaner");
  }

  private static Pod pod(String uid, boolean terminating) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("p-" + uid)
        .withNamespace("default")
        .withUid(uid)
        .withDeletionTimestamp(terminating ? "2026-12-06T18:00:00Z" : null)
        .addToLabels(GleanerKeys.MANAGED, "true")
        .addToAnnotations(GleanerKeys.META_NAMESPACE, "ml-ns")
        .endMetadata()
        .withNewSpec()
        .withNodeName("n1")
        .addNewContainer()
        .withName("main")
        .withNewResources()
        .addToRequests("cpu", new Quantity("4"))
        .addToRequests("memory", new Quantity("1Gi"))
        .endResources()
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .endStatus()
        .build();
  }

  private static long cpuHeld(FederationShares s) {
    return s.now().usage().getOrDefault("ml", Resources.ZERO).get("cpu");
  }

  @Test
  void aTeamHoldsItsBoundPodsThatAreNotLeaving() {
    assertThat(cpuHeld(shares(List.of(pod("a", false), pod("b", false)), Set.of())))
        .isEqualTo(8_000);
    assertThat(cpuHeld(shares(List.of(pod("a", false), pod("b", true)), Set.of())))
        .as("a terminating pod is leaving")
        .isEqualTo(4_000);
  }

  /**
   * A pass that runs while the member has not yet answered an eviction (the pod not terminating)
   * must see the room as freed, or it evicts more of the same team (GuaranteeReclaimIT on a busy
   * machine: a third victim, the near-line pod it keeps).
   */
  @Test
  void aPodWhoseEvictionWasIssuedIsLeavingBeforeItsMemberMarksItTerminating() {
    assertThat(cpuHeld(shares(List.of(pod("a", false), pod("b", false)), Set.of("b"))))
        .isEqualTo(4_000);
  }
}
