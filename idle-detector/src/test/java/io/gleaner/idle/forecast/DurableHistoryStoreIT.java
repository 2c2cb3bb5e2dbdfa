package io.gleaner.idle.forecast;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.coord.StateStore;
import io.gleaner.meta.coord.Zk;
import io.gleaner.meta.coord.ZkStateStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Online histories in a real ZooKeeper: written, re-read by a new store, deleted, small. */
class DurableHistoryStoreIT {
  private static final Instant T = Instant.parse("2026-12-05T08:00:00Z");

  private TestingServer zk;
  private CuratorFramework curator;
  private StateStore state;

  @BeforeEach
  void setUp() throws Exception {
    zk = new TestingServer(true);
    curator = Zk.connect(zk.getConnectString(), "gleaner-it", Duration.ofSeconds(10));
    state = new ZkStateStore(curator);
  }

  @AfterEach
  void tearDown() throws Exception {
    curator.close();
    zk.close();
  }

  private static OnlineHistory week() {
    OnlineHistory h = new OnlineHistory();
    for (int i = 0; i < HourlyPeaks.HOURS; i++) {
      h.record(T.plusSeconds(3600L * i), 16_000L * (i % 24) / 23, OptionalLong.of(900L * (i % 7)));
    }
    return h;
  }

  @Test
  void aNewStoreReadsWhatTheLastOneWrote() {
    OnlineHistory member = week();
    OnlineHistory node = week();
    node.record(T.plusSeconds(3600L * 200), 3, OptionalLong.empty());
    try (DurableHistoryStore store =
        new DurableHistoryStore(state, DurableHistoryStore.DEFAULT_ROOT)) {
      store.saveMember("online-1", member);
      store.saveNode("online-1", "node-1", node);
      store.saveNode("online-1", "node-2", new OnlineHistory());
      store.flush();
    }
    DurableHistoryStore again = new DurableHistoryStore(state, DurableHistoryStore.DEFAULT_ROOT);
    OnlineHistory m = again.loadMember("online-1").orElseThrow();
    long last = HourlyPeaks.hourOf(T) + HourlyPeaks.HOURS - 1;
    for (long h = last - HourlyPeaks.HOURS + 1; h <= last; h++) {
      assertThat(m.requests().peak(h)).as("hour %d", h).isEqualTo(member.requests().peak(h));
      assertThat(m.usage().peak(h)).isEqualTo(member.usage().peak(h));
    }
    assertThat(again.loadNodes("online-1")).containsOnlyKeys("node-1", "node-2");
    assertThat(again.loadNodes("online-1").get("node-1").requests().peak(last + 9)).hasValue(3);
    assertThat(again.loadMember("online-2")).isEmpty();
    assertThat(again.loadNodes("online-2")).isEmpty();

    again.deleteNode("online-1", "node-2");
    again.deleteNode("online-1", "never-there");
    again.flush();
    assertThat(again.loadNodes("online-1")).containsOnlyKeys("node-1");
    again.close();
  }

  @Test
  void anEightDayHistoryIsAFewKilobytesUnderItsDocumentedPath() {
    DurableHistoryStore store = new DurableHistoryStore(state, "/h");
    store.saveNode("online-1", "node-1", week());
    store.flush();
    byte[] data = state.get("/h/online-1/nodes/node-1").orElseThrow().data();
    assertThat(data.length).isLessThan(4096);
    assertThat(new String(data, StandardCharsets.UTF_8)).startsWith("requests=");
    store.close();
  }

  @Test
  void anUnreadableEntryIsSkipped() {
    state.compareAndSet(
        "/h/online-1/nodes/bad", StateStore.ABSENT, "{}".getBytes(StandardCharsets.UTF_8));
    state.compareAndSet(
        "/h/online-1/member", StateStore.ABSENT, "junk".getBytes(StandardCharsets.UTF_8));
    DurableHistoryStore store = new DurableHistoryStore(state, "/h");
    assertThat(store.loadNodes("online-1")).isEmpty();
    assertThat(store.loadMember("online-1")).isEmpty();
    store.close();
  }

  @Test
  void laterSnapshotsOfTheSameKeyWin() {
    DurableHistoryStore store = new DurableHistoryStore(state, "/h");
    for (int i = 1; i <= 50; i++) {
      OnlineHistory h = new OnlineHistory();
      h.record(T, i, OptionalLong.empty());
      store.saveMember("online-1", h);
    }
    store.flush();
    assertThat(store.loadMember("online-1").orElseThrow().requests().peak(HourlyPeaks.hourOf(T)))
        .hasValue(50);
    store.close();
  }
}
