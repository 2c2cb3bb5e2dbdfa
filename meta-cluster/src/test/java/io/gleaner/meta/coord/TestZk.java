package io.gleaner.meta.coord;

import java.time.Duration;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/** An in-process ZooKeeper with a short tick, so sessions of 1–10 s are possible in tests. */
final class TestZk implements AutoCloseable {
  /** 500 ms ticks allow session timeouts from 1 s to 10 s. */
  static final int TICK_MS = 500;

  final TestingServer server;

  TestZk() throws Exception {
    InstanceSpec spec = new InstanceSpec(null, -1, -1, -1, true, -1, TICK_MS, -1);
    server = new TestingServer(spec, true);
  }

  String connectString() {
    return server.getConnectString();
  }

  CuratorFramework client(Duration sessionTimeout) {
    return Zk.connect(connectString(), "gleaner", sessionTimeout, Duration.ofSeconds(10));
  }

  @Override
  public void close() throws Exception {
    server.close();
  }
}
