package io.gleaner.sim;

import io.gleaner.sim.apiserver.auth.ClusterCa;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * TLS for the in-process ZooKeeper: a CA of its own, a server certificate for {@code 127.0.0.1} and
 * {@code localhost}, and each server's secure client port ({@code secureClientPort}) next to its
 * plaintext one. Clients verify the server against {@link #caFile()} and present no certificate
 * ({@code ssl.clientAuth=none}; they authenticate with their digest identity).
 *
 * <p>ZooKeeper's server reads its TLS settings from JVM system properties only ({@code
 * zookeeper.serverCnxnFactory}, {@code zookeeper.ssl.*}), so while one of these is open they are
 * set for the whole process and restored when the last one closes. Gleaner's clients set every TLS
 * property on their own client configuration ({@code io.gleaner.meta.coord.ZkTls}), so these
 * defaults do not reach them. While two are open, the servers started last serve their certificate:
 * open one at a time.
 */
public final class ZooKeeperTls implements AutoCloseable {
  private static final Object LOCK = new Object();
  private static final Map<String, String> PREVIOUS = new LinkedHashMap<>();
  private static int open;

  private final Path dir;
  private final Path caFile;
  private final Path keyStore;

  private ZooKeeperTls(Path dir, Path caFile, Path keyStore) {
    this.dir = dir;
    this.caFile = caFile;
    this.keyStore = keyStore;
  }

  /** A new CA and server certificate, and the server-side properties set. */
  public static ZooKeeperTls create() {
    try {
      Path dir = Files.createTempDirectory("gleaner-zk-tls-");
      ZooKeeperTls tls = new ZooKeeperTls(dir, dir.resolve("ca.crt"), dir.resolve("keystore.pem"));
      tls.issue();
      tls.install();
      return tls;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the ZooKeeper TLS files", e);
    }
  }

  /**
   * A CA rotation on the server side: a new CA, a server certificate of it in the key store (read
   * by each server when it starts: restart them) and {@link #caFile()} rewritten to the new CA.
   *
   * @return the new CA's certificate (PEM)
   */
  public String rotateCa() {
    try {
      return issue();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the ZooKeeper TLS files", e);
    }
  }

  private String issue() throws IOException {
    ClusterCa ca = ClusterCa.create("gleaner-zookeeper-ca");
    ClusterCa.Issued serving = ca.issueServing("zookeeper", List.of("127.0.0.1", "localhost"));
    // ZooKeeper's PEM key store: a PKCS#8 key and its certificate in one file
    Files.writeString(keyStore, serving.pkcs8KeyPem() + serving.certificatePem());
    Files.writeString(caFile, ca.certificatePem());
    return ca.certificatePem();
  }

  /** The CA the servers' certificate chains to (PEM). */
  public Path caFile() {
    return caFile;
  }

  /** The server configuration for a secure client port {@code port} on loopback. */
  Map<String, Object> serverProperties(int port) {
    return Map.of("secureClientPort", String.valueOf(port), "secureClientPortAddress", "127.0.0.1");
  }

  private void install() {
    Map<String, String> props =
        Map.of(
            "zookeeper.serverCnxnFactory", "org.apache.zookeeper.server.NettyServerCnxnFactory",
            "zookeeper.ssl.keyStore.location", keyStore.toString(),
            "zookeeper.ssl.keyStore.type", "PEM",
            "zookeeper.ssl.clientAuth", "none");
    synchronized (LOCK) {
      if (open++ == 0) {
        for (String k : props.keySet()) {
          PREVIOUS.put(k, System.getProperty(k));
        }
      }
      props.forEach(System::setProperty);
    }
  }

  @Override
  public void close() {
    synchronized (LOCK) {
      if (--open == 0) {
        PREVIOUS.forEach(
            (k, v) -> {
              if (v == null) {
                System.clearProperty(k);
              } else {
                System.setProperty(k, v);
              }
            });
        PREVIOUS.clear();
      }
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory
    }
  }
}
