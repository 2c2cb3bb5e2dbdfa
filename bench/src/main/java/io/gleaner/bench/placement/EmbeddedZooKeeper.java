package io.gleaner.bench.placement;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;

/**
 * A standalone ZooKeeper server on 127.0.0.1 and a free port, in a temporary directory, for the
 * benchmark.
 */
final class EmbeddedZooKeeper implements AutoCloseable {
  private final Path dir;
  private final ServerCnxnFactory factory;

  private EmbeddedZooKeeper(Path dir, ServerCnxnFactory factory) {
    this.dir = dir;
    this.factory = factory;
  }

  static EmbeddedZooKeeper start() throws IOException, InterruptedException {
    System.setProperty("zookeeper.admin.enableServer", "false");
    Path dir = Files.createTempDirectory("gleaner-bench-zk");
    File f = dir.toFile();
    ZooKeeperServer server = new ZooKeeperServer(f, f, 2000);
    ServerCnxnFactory factory =
        ServerCnxnFactory.createFactory(new InetSocketAddress("127.0.0.1", 0), 100);
    factory.startup(server);
    return new EmbeddedZooKeeper(dir, factory);
  }

  String connectString() {
    return "127.0.0.1:" + factory.getLocalPort();
  }

  @Override
  public void close() {
    factory.shutdown();
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp directory left behind is harmless
    }
  }
}
