package io.gleaner.sandbox.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ChaosScenarioTest {
  @Test
  void namesRoundTripOnTheCommandLine() {
    for (ChaosScenario s : ChaosScenario.values()) {
      assertThat(ChaosScenario.parse(s.cliName())).isEqualTo(s);
    }
    assertThat(ChaosScenario.KILL_VIRTUAL_KUBELET_LEADER.cliName())
        .isEqualTo("kill-virtual-kubelet-leader");
  }

  @Test
  void anUnknownNameListsTheScenarios() {
    assertThatThrownBy(() -> ChaosScenario.parse("kill-zookeeper"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kill-zookeeper")
        .hasMessageContaining("pause-virtual-kubelet-leader");
  }

  @Test
  void aLeaderIsTheReplicaWhoseLeaderGaugeIsOne() {
    String leading =
        "# HELP gleaner_leader_acting 1 while leading\n"
            + "# TYPE gleaner_leader_acting gauge\n"
            + "gleaner_leader_acting{election=\"virtual-kubelet\",service=\"virtual-kubelet\"} 1.0\n"
            + "gleaner_leader_epoch{election=\"virtual-kubelet\"} 3.0\n";
    assertThat(ServiceProbe.leadingIn(leading)).isTrue();
    assertThat(ServiceProbe.leadingIn(leading.replace("} 1.0", "} 0.0"))).isFalse();
    assertThat(ServiceProbe.leadingIn("gleaner_leader_epoch 1.0\n")).isFalse();
  }

  @Test
  void aReplicaThatDidNotAnswerMayBeLeading() {
    Optional<Boolean> leads = Optional.of(true);
    Optional<Boolean> standby = Optional.of(false);
    Optional<Boolean> slow = Optional.empty();
    assertThat(ServiceProbe.anyMayLead(List.of(standby, leads))).isTrue();
    assertThat(ServiceProbe.anyMayLead(List.of(standby, slow))).as("unknown").isTrue();
    assertThat(ServiceProbe.anyMayLead(List.of(standby, standby))).as("a failover").isFalse();
    assertThat(ServiceProbe.anyMayLead(List.of())).as("none alive").isFalse();
  }

  @Test
  void theBrokersOffersTakenAreTheAcceptedAndRefreshedOnes() {
    String metrics =
        "# TYPE gleaner_broker_offers_total counter\n"
            + "gleaner_broker_offers_total{outcome=\"accepted\",service=\"broker\"} 12.0\n"
            + "gleaner_broker_offers_total{outcome=\"refreshed\",service=\"broker\"} 30.0\n"
            + "gleaner_broker_offers_total{outcome=\"rejected\",service=\"broker\"} 5.0\n"
            + "gleaner_broker_withdrawals_total{outcome=\"withdrawn\"} 7.0\n";
    assertThat(ServiceProbe.offersIn(metrics)).isEqualTo(42);
    assertThat(ServiceProbe.offersIn("")).isZero();
  }
}
