package io.gleaner.sim;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;

/**
 * An embedded ZooKeeper ensemble of several servers on loopback, for faults a single server cannot
 * show: the leader killed, quorum lost, a rolling restart. Servers are told apart by their client
 * port; which one leads is asked as an operator would, with the {@code srvr} four-letter word.
 */
public final class ZooKeeperEnsemble implements AutoCloseable {
  private final TestingCluster cluster;
  private final List<InstanceSpec> specs = new ArrayList<>();
  private final List<Integer> securePorts = new ArrayList<>();
  private final ZooKeeperTls tls;

  /** Starts {@code servers} servers and waits until they serve. */
  public ZooKeeperEnsemble(int servers) throws Exception {
    this(servers, false);
  }

  /**
   * Starts {@code servers} servers and waits until they serve; with {@code tls}, each also serves a
   * secure client port ({@link #secureConnectString()}, certificates of {@link #tls()}).
   */
  public ZooKeeperEnsemble(int servers, boolean tls) throws Exception {
    this.tls = tls ? ZooKeeperTls.create() : null;
    for (int id = 1; id <= servers; id++) {
      Map<String, Object> properties =
          new java.util.HashMap<>(
              Map.of("clientPortAddress", "127.0.0.1", "admin.enableServer", "false"));
      if (this.tls != null) {
        int port = InstanceSpec.getRandomPort();
        securePorts.add(port);
        properties.putAll(this.tls.serverProperties(port));
      }
      specs.add(new InstanceSpec(null, -1, -1, -1, true, id, -1, 1000, properties, "127.0.0.1"));
    }
    cluster = new TestingCluster(specs);
    try {
      cluster.start();
    } catch (Exception e) {
      cluster.close();
      if (this.tls != null) {
        this.tls.close();
      }
      throw e;
    }
  }

  /** The plaintext client ports. */
  public String connectString() {
    return cluster.getConnectString();
  }

  /** The secure client ports, when started with TLS. */
  public Optional<String> secureConnectString() {
    return tls == null
        ? Optional.empty()
        : Optional.of(String.join(",", securePorts.stream().map(p -> "127.0.0.1:" + p).toList()));
  }

  /** The TLS material, when started with TLS. */
  public Optional<ZooKeeperTls> tls() {
    return Optional.ofNullable(tls);
  }

  /** The servers' client ports, in server id order. */
  public List<Integer> ports() {
    return specs.stream().map(InstanceSpec::getPort).toList();
  }

  /** The client port of the server that leads now, if one answers that it does. */
  public Optional<Integer> leader() {
    for (InstanceSpec s : specs) {
      if ("leader".equals(mode(s.getPort()))) {
        return Optional.of(s.getPort());
      }
    }
    return Optional.empty();
  }

  /**
   * What the server on {@code port} answers to {@code srvr}: {@code leader}, {@code follower}, or
   * empty while it is down or still looking for a leader (it has not rejoined the ensemble).
   */
  public Optional<String> role(int port) {
    spec(port);
    return Optional.ofNullable(mode(port));
  }

  /** Whether a majority of the servers answer as leader or follower. */
  public boolean hasQuorum() {
    long serving =
        specs.stream()
            .map(s -> mode(s.getPort()))
            .filter(m -> "leader".equals(m) || "follower".equals(m))
            .count();
    return serving > specs.size() / 2;
  }

  /** Stops the server on {@code port} as {@code kill -9} would. */
  public void kill(int port) {
    try {
      cluster.killServer(spec(port));
    } catch (Exception e) {
      throw new IllegalStateException("killing the ZooKeeper server on port " + port, e);
    }
  }

  /** Starts the server on {@code port} again, with its data. */
  public void restart(int port) {
    try {
      cluster.restartServer(spec(port));
    } catch (Exception e) {
      throw new IllegalStateException("restarting the ZooKeeper server on port " + port, e);
    }
  }

  private InstanceSpec spec(int port) {
    return specs.stream()
        .filter(s -> s.getPort() == port)
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no ZooKeeper server on port " + port));
  }

  /** {@code leader}, {@code follower}, {@code standalone}, or null when it does not answer. */
  static String mode(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      s.setSoTimeout(1000);
      OutputStream out = s.getOutputStream();
      out.write("srvr".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.startsWith("Mode: ")) {
          return line.substring("Mode: ".length()).trim();
        }
      }
      return null;
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public void close() throws IOException {
    try {
      cluster.close();
    } finally {
      if (tls != null) {
        tls.close();
      }
    }
  }
}
