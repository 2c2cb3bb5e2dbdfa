package io.gleaner.meta.coord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gleaner.meta.config.GleanerConfig;
import io.gleaner.meta.service.LifecycleException;
import io.gleaner.meta.service.ServiceRunner;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CoordinationIT {
  private static TestZk zk;

  @BeforeAll
  static void startServer() throws Exception {
    zk = new TestZk();
  }

  @AfterAll
  static void stopServer() throws Exception {
    zk.close();
  }

  private static GleanerConfig config(String... overrides) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("zk.connect", "'" + zk.connectString() + "'");
    o.put("leaderElection.leaseDuration", "5s");
    for (int i = 0; i < overrides.length; i += 2) {
      o.put(overrides[i], overrides[i + 1]);
    }
    return GleanerConfig.load(null, o);
  }

  @Test
  void electsThroughZooKeeperAndStoresState() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Coordination coord = new Coordination(config(), "broker", "replica-1", registry);
    LeaderElectionIT.Journal journal = new LeaderElectionIT.Journal();
    coord.addListener(journal);
    ServiceRunner runner = new ServiceRunner("broker").add(coord);
    runner.start();
    try {
      assertThat(coord.election()).isInstanceOf(ZkLeaderElection.class);
      assertThat(coord.election().awaitLeadership(Duration.ofSeconds(10))).isTrue();
      assertThat(journal.events).hasSize(1);
      assertThat(
              coord.stateStore().compareAndSet("/probe", StateStore.ABSENT, new byte[] {1}).isOk())
          .isTrue();
      assertThat(coord.readiness().check().detail()).startsWith("leading, epoch");
      assertThat(registry.get("gleaner.leader.acting").tag("election", "broker").gauge().value())
          .isEqualTo(1.0);
    } finally {
      runner.stop();
    }
    assertThat(journal.last()).isEqualTo("stopped");
    assertThat(coord.readiness().check().isUp()).isFalse();
  }

  @Test
  void leaderElectFalseUsesAlwaysLeader() throws Exception {
    Coordination coord =
        new Coordination(
            config("leaderElection.enabled", "false"),
            "descheduler",
            "solo",
            new SimpleMeterRegistry());
    coord.start();
    try {
      assertThat(coord.election()).isInstanceOf(AlwaysLeader.class);
      assertThat(coord.election().isLeader()).isTrue();
    } finally {
      coord.stop();
    }
  }

  @Test
  void unreachableZooKeeperFailsStartNamingIt() {
    Coordination coord =
        new Coordination(
            config(
                "zk.connect",
                "'127.0.0.1:1'",
                "zk.connectionTimeout",
                "500ms",
                "leaderElection.leaseDuration",
                "1s"),
            "broker",
            "x",
            new SimpleMeterRegistry());
    assertThatThrownBy(coord::start)
        .isInstanceOf(LifecycleException.class)
        .hasMessageContaining("127.0.0.1:1");
    assertThatThrownBy(coord::election).isInstanceOf(IllegalStateException.class);
    coord.stop();
  }
}
