package io.gleaner.sandbox.invariants;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.resources.Resources;
import io.gleaner.sandbox.invariants.FederationSnapshot.MemberPod;
import io.gleaner.sandbox.invariants.FederationSnapshot.MetaPod;
import io.gleaner.sandbox.invariants.FederationSnapshot.Node;
import io.gleaner.sandbox.invariants.FederationSnapshot.Reservation;
import io.gleaner.sandbox.invariants.InvariantChecker.Violation;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class InvariantCheckerTest {
  static final Instant T0 = Instant.parse("2026-12-05T08:00:00Z");
  private static final InvariantChecker.Acting NO_QUORUM =
      new InvariantChecker.Acting(false, false);
  private static final InvariantChecker.Acting FAILOVER = new InvariantChecker.Acting(true, false);
  private final InvariantChecker checker = new InvariantChecker();

  private static Resources cpu(String c) {
    return Resources.of("cpu", c);
  }

  /** One metadata pod u1 running on c1/n1 with its reservation, a 4-CPU node holding 1 CPU. */
  private static FederationSnapshot healthy() {
    return new FederationSnapshot(
        Map.of("u1", new MetaPod("u1", "team/p1", "Running")),
        List.of(new MemberPod("c1", "team/gl-u1", "u1", "c1/n1", "Running", false)),
        Map.of("c1/n1", new Node(cpu("4"), cpu("1"), Set.of("u1"))),
        Map.of("u1", new Reservation("u1", "c1/n1", cpu("1"), true)));
  }

  private List<Violation> at(FederationSnapshot o, long seconds) {
    return checker.check(o, T0.plusSeconds(seconds));
  }

  @Test
  void aHealthyFederationHasNoViolations() {
    for (int s = 0; s < 300; s += 5) {
      assertThat(at(healthy(), s)).isEmpty();
    }
    assertThat(checker.total()).isZero();
    assertThat(checker.counts())
        .containsEntry("node_overcommitted", 0L)
        .containsEntry("foreign_pod_deleted", 0L)
        .containsEntry("online_pod_held_back", 0L)
        .hasSize(Invariant.values().length);
  }

  @Test
  void aMetadataPodRunningInTwoMembersIsReportedOnceAfterItsGrace() {
    FederationSnapshot dup =
        new FederationSnapshot(
            healthy().metaPods(),
            List.of(
                new MemberPod("c1", "team/gl-u1", "u1", "c1/n1", "Running", false),
                new MemberPod("c2", "team/gl-u1", "u1", "c2/n7", "Running", false)),
            healthy().nodes(),
            healthy().placements());
    assertThat(at(dup, 0)).isEmpty();
    List<Violation> v = at(dup, 2);
    assertThat(v)
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.kind()).isEqualTo(Invariant.DUPLICATE_MEMBER_POD);
              assertThat(x.evidence()).contains("c1:team/gl-u1", "c2:team/gl-u1");
            });
    assertThat(at(dup, 30)).isEmpty();
    assertThat(checker.counts()).containsEntry("duplicate_member_pod", 1L);
  }

  @Test
  void eachViolationIsChargedToTheWindowInWhichItsConditionWasFirstSeen() {
    MetaPod u2 = new MetaPod("u2", "team/p2", "Running");
    FederationSnapshot first =
        new FederationSnapshot(
            Map.of("u1", healthy().metaPods().get("u1"), "u2", u2),
            List.of(
                new MemberPod("c1", "team/gl-u1", "u1", "c1/n1", "Running", false),
                new MemberPod("c2", "team/gl-u1", "u1", "c2/n7", "Running", false),
                new MemberPod("c1", "team/gl-u2", "u2", "c1/n1", "Running", false)),
            healthy().nodes(),
            healthy().placements());
    FederationSnapshot both =
        new FederationSnapshot(
            first.metaPods(),
            List.of(
                new MemberPod("c1", "team/gl-u1", "u1", "c1/n1", "Running", false),
                new MemberPod("c2", "team/gl-u1", "u1", "c2/n7", "Running", false),
                new MemberPod("c1", "team/gl-u2", "u2", "c1/n1", "Running", false),
                new MemberPod("c2", "team/gl-u2", "u2", "c2/n7", "Running", false)),
            first.nodes(),
            first.placements());
    at(first, 0); // u1's copy first seen in the first window, which ends at 1
    at(both, 1); // u2's first seen in the second
    at(both, 3); // both reported now, past their 2 s grace
    checker.report(
        List.of(new Violation(Invariant.FOREIGN_POD_DELETED, "c1:team/web", "audit")),
        T0.plusSeconds(4));

    assertThat(checker.counts()).containsEntry("duplicate_member_pod", 2L);
    assertThat(checker.countsFirstSeen(T0, T0.plusSeconds(1)))
        .containsEntry("duplicate_member_pod", 1L)
        .containsEntry("foreign_pod_deleted", 0L)
        .hasSize(Invariant.values().length);
    assertThat(checker.countsFirstSeen(T0.plusSeconds(1), null))
        .containsEntry("duplicate_member_pod", 1L)
        .containsEntry("foreign_pod_deleted", 1L);
    assertThat(checker.countsFirstSeen(T0.plusSeconds(5), null))
        .allSatisfy((kind, n) -> assertThat(n).as(kind).isZero());
  }

  @Test
  void aTerminatingCopyIsNoDuplicate() {
    FederationSnapshot moving =
        new FederationSnapshot(
            healthy().metaPods(),
            List.of(
                new MemberPod("c1", "team/gl-u1", "u1", "c1/n1", "Running", false),
                new MemberPod("c2", "team/gl-u1", "u1", "c2/n7", "Running", true)),
            healthy().nodes(),
            healthy().placements());
    assertThat(at(moving, 0)).isEmpty();
    assertThat(at(moving, 60)).isEmpty();
  }

  @Test
  void aReservationForAPodNotThereYetCountsAgainstItsNode() {
    Map<String, MetaPod> metas = new HashMap<>(healthy().metaPods());
    metas.put("u2", new MetaPod("u2", "team/p2", "Pending"));
    Map<String, Reservation> res = new HashMap<>(healthy().placements());
    res.put("u2", new Reservation("u2", "c1/n1", cpu("2"), false));
    // an online pod took 2 CPU meanwhile: 3 on the node + 2 reserved > 4
    FederationSnapshot over =
        new FederationSnapshot(
            metas,
            healthy().memberPods(),
            Map.of("c1/n1", new Node(cpu("4"), cpu("3"), Set.of("u1"))),
            res);
    assertThat(at(over, 0)).isEmpty();
    assertThat(at(over, 9)).isEmpty();
    assertThat(at(over, 10))
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.kind()).isEqualTo(Invariant.NODE_OVERCOMMITTED);
              assertThat(x.subject()).isEqualTo("c1/n1");
              assertThat(x.evidence())
                  .contains("[u2 (team/p2 Pending", "no member pod", "over by {cpu=1}");
            });
  }

  @Test
  void aReservationReleasedWhileTheLookReadTheNodesHoldsNoRoomThere() {
    // u1's member could not run it; its reservation on n1 was given back while the look read the
    // members, and its room went to the member's own pod: 4 CPU on the node. The ledger's first
    // read had it on n1, its second no longer there: the node was never over-committed.
    Map<String, MetaPod> metas = Map.of("u1", new MetaPod("u1", "team/p1", "Pending"));
    FederationSnapshot look =
        new FederationSnapshot(
            metas,
            List.of(),
            Map.of("c1/n1", new Node(cpu("4"), cpu("4"), Set.of())),
            Map.of("u1", new Reservation("u1", "c1/n1", cpu("1"), false, null, false)));
    for (int s = 0; s <= 60; s += 2) {
      assertThat(at(look, s)).as("at %d s", s).isEmpty();
    }
    // held through the look, the same reservation does over-commit the node
    FederationSnapshot held =
        new FederationSnapshot(
            metas,
            look.memberPods(),
            look.nodes(),
            Map.of("u1", new Reservation("u1", "c1/n1", cpu("1"), false, null, true)));
    assertThat(at(held, 100)).isEmpty();
    assertThat(at(held, 110))
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.kind()).isEqualTo(Invariant.NODE_OVERCOMMITTED);
              assertThat(x.evidence()).contains("u1 (team/p1 Pending", "no member pod");
            });
  }

  @Test
  void aReservationOfAFinishedOrReclaimedPodHoldsNoPodsRoomAndLeaksPastItsGrace() {
    // u1 was evicted to make room for the member's gang (Failed, member pod gone) and u2 finished;
    // the gang fills the node while their reservations are not yet given back. No pod will ever
    // come for them: no kubelet would count their room, so the node is not over-committed; held
    // past the leak grace they are leaked.
    FederationSnapshot o =
        new FederationSnapshot(
            Map.of(
                "u1", new MetaPod("u1", "team/p1", "Failed"),
                "u2", new MetaPod("u2", "team/p2", "Succeeded")),
            List.of(new MemberPod("c1", "team/gl-u2", "u2", "c1/n1", "Succeeded", false)),
            Map.of("c1/n1", new Node(cpu("4"), cpu("4"), Set.of())),
            Map.of(
                "u1", new Reservation("u1", "c1/n1", cpu("1"), true),
                "u2", new Reservation("u2", "c1/n1", cpu("1"), true)));
    for (int s = 0; s < 60; s += 2) {
      assertThat(at(o, s)).as("at %d s", s).isEmpty();
    }
    assertThat(at(o, 60))
        .extracting(Violation::kind, Violation::subject)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(Invariant.LEAKED_RESERVATION, "u1"),
            org.assertj.core.groups.Tuple.tuple(Invariant.LEAKED_RESERVATION, "u2"));
    assertThat(checker.counts()).containsEntry("node_overcommitted", 0L);
  }

  @Test
  void withoutQuorumALagOnlyActingClearsWaitsAndItsGraceRunsFromQuorumsReturn() {
    FederationSnapshot stale =
        new FederationSnapshot(
            Map.of("u1", new MetaPod("u1", "team/p1", "Running")),
            List.of(new MemberPod("c1", "team/gl-u1", "u1", "c1/n1", "Succeeded", false)),
            healthy().nodes(),
            healthy().placements());
    for (int s = 0; s <= 60; s += 2) {
      assertThat(checker.check(stale, T0.plusSeconds(s), NO_QUORUM))
          .as("no quorum at %d s", s)
          .isEmpty();
    }
    // the grace runs from the last look without quorum (60 s)
    assertThat(checker.check(stale, T0.plusSeconds(62), InvariantChecker.Acting.ALL))
        .as("quorum back")
        .isEmpty();
    assertThat(checker.check(stale, T0.plusSeconds(89), InvariantChecker.Acting.ALL))
        .as("within the grace")
        .isEmpty();
    assertThat(checker.check(stale, T0.plusSeconds(90), InvariantChecker.Acting.ALL))
        .singleElement()
        .satisfies(x -> assertThat(x.kind()).isEqualTo(Invariant.STATUS_DISAGREEMENT));
  }

  /**
   * ChaosE2E's leader-kill finding: the killed leader reserved 2 CPU on a 32-CPU node and created
   * the member pod just before the kill; 2 s later the member's own gang took the whole node and
   * left the pod Unschedulable. The ledger (32 on the node + 2 reserved) over-counts the node until
   * a virtual-kubelet re-places the pod, which none can do before the standby leads.
   */
  private static FederationSnapshot reservedPodLeftUnschedulable() {
    return new FederationSnapshot(
        Map.of("u2", new MetaPod("u2", "ml-batch/p2", "Pending")),
        List.of(
            new MemberPod(
                "train-1",
                "ml-batch/gl-u2",
                "u2",
                null,
                "Pending",
                false,
                null,
                0,
                "Unschedulable: 0/1 nodes are available")),
        Map.of("train-1/node-0", new Node(cpu("32"), cpu("32"), Set.of())),
        Map.of("u2", new Reservation("u2", "train-1/node-0", cpu("2"), true)));
  }

  @Test
  void aLagOnlyAVirtualKubeletClearsWaitsOutItsFailoverAndItsGraceRunsFromTheTakeover() {
    FederationSnapshot over = reservedPodLeftUnschedulable();
    // killed at 0; the standby leads at 14.5 s; looks every 2 s
    for (int s = 2; s <= 14; s += 2) {
      assertThat(checker.check(over, T0.plusSeconds(s), FAILOVER)).as("at %d s", s).isEmpty();
    }
    for (int s = 16; s <= 22; s += 2) {
      assertThat(checker.check(over, T0.plusSeconds(s), InvariantChecker.Acting.ALL))
          .as("led again, at %d s", s)
          .isEmpty();
    }
    // the standby re-placed the pod at 23 s: its reservation is elsewhere now
    assertThat(at(healthy(), 24)).isEmpty();
    assertThat(checker.total()).isZero();

    // had it not, the grace runs out 10 s after the last look without a leader
    InvariantChecker other = new InvariantChecker();
    for (int s = 2; s <= 14; s += 2) {
      assertThat(other.check(over, T0.plusSeconds(s), FAILOVER)).isEmpty();
    }
    assertThat(other.check(over, T0.plusSeconds(22), InvariantChecker.Acting.ALL)).isEmpty();
    assertThat(other.check(over, T0.plusSeconds(24), InvariantChecker.Acting.ALL))
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.kind()).isEqualTo(Invariant.NODE_OVERCOMMITTED);
              assertThat(x.evidence()).contains("u2 (ml-batch/p2 Pending", "Unschedulable");
            });
    // charged to when it was first seen (2 s), not to when its grace last started again
    assertThat(other.countsFirstSeen(T0, T0.plusSeconds(3)))
        .containsEntry("node_overcommitted", 1L);
  }

  @Test
  void aFailoverLongerThanAVirtualKubeletTakesExcusesNoMore() {
    FederationSnapshot over = reservedPodLeftUnschedulable();
    Duration bound = InvariantChecker.LONGEST_FAILOVER;
    long last = bound.toSeconds();
    for (int s = 0; s <= last + 8; s += 2) {
      assertThat(checker.check(over, T0.plusSeconds(s), FAILOVER)).as("at %d s", s).isEmpty();
    }
    assertThat(checker.check(over, T0.plusSeconds(last + 10), FAILOVER))
        .singleElement()
        .satisfies(x -> assertThat(x.kind()).isEqualTo(Invariant.NODE_OVERCOMMITTED));
  }

  @Test
  void duringAFailoverADuplicateIsStillReported() {
    FederationSnapshot dup =
        new FederationSnapshot(
            healthy().metaPods(),
            List.of(
                new MemberPod("c1", "team/gl-u1", "u1", "c1/n1", "Running", false),
                new MemberPod("c2", "team/gl-u1", "u1", "c2/n7", "Running", false)),
            healthy().nodes(),
            healthy().placements());
    assertThat(checker.check(dup, T0, FAILOVER)).isEmpty();
    assertThat(checker.check(dup, T0.plusSeconds(2), FAILOVER))
        .singleElement()
        .satisfies(x -> assertThat(x.kind()).isEqualTo(Invariant.DUPLICATE_MEMBER_POD));
  }

  @Test
  void withoutQuorumADuplicateIsStillReported() {
    FederationSnapshot dup =
        new FederationSnapshot(
            healthy().metaPods(),
            List.of(
                new MemberPod("c1", "team/gl-u1", "u1", "c1/n1", "Running", false),
                new MemberPod("c2", "team/gl-u1", "u1", "c2/n7", "Running", false)),
            healthy().nodes(),
            healthy().placements());
    assertThat(checker.check(dup, T0, NO_QUORUM)).isEmpty();
    assertThat(checker.check(dup, T0.plusSeconds(2), NO_QUORUM))
        .singleElement()
        .satisfies(x -> assertThat(x.kind()).isEqualTo(Invariant.DUPLICATE_MEMBER_POD));
  }

  @Test
  void aConditionThatClearsWithinItsGraceIsNeverReported() {
    FederationSnapshot lagging =
        new FederationSnapshot(
            Map.of("u1", new MetaPod("u1", "team/p1", "Pending")),
            healthy().memberPods(),
            healthy().nodes(),
            healthy().placements());
    assertThat(at(lagging, 0)).isEmpty();
    assertThat(at(lagging, 20)).isEmpty();
    assertThat(at(healthy(), 25)).isEmpty();
    assertThat(at(lagging, 40)).isEmpty(); // a new episode starts its own clock
    assertThat(at(lagging, 70))
        .singleElement()
        .extracting(Violation::kind)
        .isEqualTo(Invariant.STATUS_DISAGREEMENT);
  }

  /**
   * A look of 30 s starting at {@code start} (seconds after T0), as under load: the metadata pods
   * listed in its first second, the member's pods in its last, checked as it ends.
   */
  private List<Violation> slowLook(String metaPhase, String memberPhase, long start) {
    FederationSnapshot o =
        new FederationSnapshot(
            Map.of("u1", new MetaPod("u1", "team/p1", metaPhase)),
            List.of(new MemberPod("c1", "team/gl-u1", "u1", "c1/n1", memberPhase, false)),
            healthy().nodes(),
            healthy().placements(),
            List.of(),
            Map.of(),
            null,
            new FederationSnapshot.Read(T0.plusSeconds(start), T0.plusSeconds(start + 1)),
            Map.of(
                "c1",
                new FederationSnapshot.Read(
                    T0.plusSeconds(start + 29), T0.plusSeconds(start + 30))));
    return at(o, start + 30);
  }

  @Test
  void phasesReadHalfAMinuteApartInOneLookAreNoDisagreement() {
    // The member pod runs at 10 s and succeeds at 50 s; the metadata pod follows each within 1 s.
    // Each look reads the metadata pod 29 s before the member pod, so two looks in a row see them
    // differ (Pending/Running, then Running/Succeeded) though they never differed for 30 s.
    assertThat(slowLook("Pending", "Running", 0)).isEmpty();
    assertThat(slowLook("Running", "Succeeded", 31)).isEmpty();
    assertThat(slowLook("Succeeded", "Succeeded", 62)).isEmpty();
    assertThat(checker.counts()).containsEntry("status_disagreement", 0L);
  }

  @Test
  void aLastingDisagreementIsCountedOnceBothReadsProveItOutlastedTheGrace() {
    // The metadata pod stays Pending while its member pod runs. The member pod was first seen
    // Running by 30 s, and the metadata pod still Pending at 31 s and at 62 s: 32 s proven.
    assertThat(slowLook("Pending", "Running", 0)).isEmpty();
    assertThat(slowLook("Pending", "Running", 31)).as("1 s proven").isEmpty();
    assertThat(slowLook("Pending", "Running", 62))
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.kind()).isEqualTo(Invariant.STATUS_DISAGREEMENT);
              assertThat(x.evidence())
                  .contains("team/p1 is Pending", "c1:team/gl-u1 is Running", "for at least 32 s");
            });
    assertThat(slowLook("Pending", "Running", 93)).as("reported once").isEmpty();
    assertThat(checker.counts()).containsEntry("status_disagreement", 1L);
  }

  @Test
  void aReservationOutlivingItsPodLeaksAndAMemberPodWithoutOneIsUnreserved() {
    FederationSnapshot o =
        new FederationSnapshot(
            Map.of("u1", new MetaPod("u1", "team/p1", "Running")),
            List.of(
                new MemberPod("c1", "team/gl-u1", "u1", "c1/n1", "Running", false),
                new MemberPod("c1", "team/gl-u3", "u3", "c1/n1", "Running", false)),
            Map.of("c1/n1", new Node(cpu("8"), cpu("2"), Set.of("u1", "u3"))),
            Map.of(
                "u1", new Reservation("u1", "c1/n1", cpu("1"), true),
                "u9", new Reservation("u9", "c1/n1", cpu("1"), true)));
    assertThat(at(o, 0)).isEmpty();
    assertThat(at(o, 59)).isEmpty();
    assertThat(at(o, 60))
        .extracting(Violation::kind)
        .containsExactlyInAnyOrder(Invariant.LEAKED_RESERVATION, Invariant.UNRESERVED_MEMBER_POD);
    assertThat(checker.total()).isEqualTo(2);
    // a finished member pod needs no reservation
    FederationSnapshot done =
        new FederationSnapshot(
            Map.of(),
            List.of(new MemberPod("c1", "team/gl-u5", "u5", "c1/n1", "Succeeded", false)),
            Map.of(),
            Map.of());
    assertThat(at(done, 200)).isEmpty();
    assertThat(at(done, 400)).isEmpty();
  }

  /** A look at the member pods of gang ml/train (minMember {@code min}) alone, in c1. */
  private static FederationSnapshot gang(int min, String... phases) {
    List<MemberPod> pods = new java.util.ArrayList<>();
    for (int i = 0; i < phases.length; i++) {
      boolean terminating = phases[i].endsWith("-");
      String phase = terminating ? phases[i].substring(0, phases[i].length() - 1) : phases[i];
      pods.add(
          new MemberPod(
              "c1", "ml/gl-w" + i, null, "c1/n" + i, phase, terminating, "ml/train", min));
    }
    return new FederationSnapshot(Map.of(), pods, Map.of(), Map.of());
  }

  @Test
  void aGangRunningInPartPastItsGraceIsReportedOnce() {
    // one of three reclaimed: its member pod gone, the other two still run
    FederationSnapshot part = gang(3, "Running", "Running");
    assertThat(at(part, 0)).isEmpty();
    assertThat(at(part, 29)).isEmpty();
    assertThat(at(part, 30))
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.kind()).isEqualTo(Invariant.PARTIAL_GANG);
              assertThat(v.subject()).isEqualTo("ml/train");
              assertThat(v.evidence())
                  .contains("2 of the gang's minMember 3 pods run", "c1:ml/gl-w0 Running");
            });
    assertThat(at(part, 60)).isEmpty();
    assertThat(checker.gangsRunWhole()).as("a gang that only ran in part").isZero();
    // a pod ended by its member (Failed, or being deleted) counts as not running
    InvariantChecker other = new InvariantChecker();
    other.check(gang(2, "Running", "Failed"), T0);
    assertThat(other.check(gang(2, "Running", "Running-"), T0.plusSeconds(30)))
        .extracting(Violation::kind)
        .containsExactly(Invariant.PARTIAL_GANG);
  }

  @Test
  void aGangWholeStartingFinishingOrGoneWholeIsNoPartialGang() {
    List<FederationSnapshot> looks =
        List.of(
            gang(3, "Pending", "Running", "Pending"), // starting, within the grace
            gang(3, "Running", "Running", "Running"),
            gang(2, "Running", "Running", "Failed"), // above its minMember
            gang(3, "Running", "Succeeded", "Running"), // finishing one by one
            gang(3, "Succeeded", "Succeeded", "Running"),
            gang(3, "Running-", "Running-", "Running-"), // reclaimed whole
            gang(3));
    for (int i = 0; i < looks.size(); i++) {
      assertThat(at(looks.get(i), i * 40L)).as("look %d", i).isEmpty();
    }
    assertThat(checker.counts()).containsEntry("partial_gang", 0L);
    assertThat(checker.gangsRunWhole()).as("the one gang, seen whole at several looks").isOne();
  }

  @Test
  void gracesAreStated() {
    assertThat(Invariant.DUPLICATE_MEMBER_POD.grace()).isEqualTo(Duration.ofSeconds(2));
    assertThat(Invariant.LEAKED_RESERVATION.key()).isEqualTo("leaked_reservation");
  }
}
