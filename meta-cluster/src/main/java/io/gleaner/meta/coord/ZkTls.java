package io.gleaner.meta.coord;

import java.nio.file.Path;
import org.apache.zookeeper.ClientCnxnSocketNIO;
import org.apache.zookeeper.ClientCnxnSocketNetty;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.common.ClientX509Util;

/**
 * The ZooKeeper client configuration of one connection: plaintext, or TLS verified against a CA.
 *
 * <p>Everything is set on the client's own {@link ZKClientConfig}, never in JVM system properties,
 * so clients of different settings live in one process (the sandbox, tests). A {@code
 * ZKClientConfig} starts from the process's {@code zookeeper.*} system properties (an in-process
 * ZooKeeper server sets its own there), so every property TLS reads is set here, the client key
 * store too: none, the client authenticates with its digest identity ({@link ZkCredentials}).
 */
public final class ZkTls {
  private ZkTls() {}

  /** PEM key and trust stores: ZooKeeper reads certificates from PEM files itself. */
  static final String PEM = "PEM";

  /**
   * The configuration of a client that connects in plaintext ({@code caFile} null) or over TLS to a
   * server whose certificate chains to {@code caFile} and names the host connected to.
   */
  public static ZKClientConfig clientConfig(Path caFile) {
    ZKClientConfig c = new ZKClientConfig();
    if (caFile == null) {
      c.setProperty(ZKClientConfig.SECURE_CLIENT, "false");
      c.setProperty(
          ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, ClientCnxnSocketNIO.class.getName());
      return c;
    }
    c.setProperty(ZKClientConfig.SECURE_CLIENT, "true");
    c.setProperty(
        ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, ClientCnxnSocketNetty.class.getName());
    try (ClientX509Util x509 = new ClientX509Util()) {
      c.setProperty(x509.getSslTruststoreLocationProperty(), caFile.toString());
      c.setProperty(x509.getSslTruststoreTypeProperty(), PEM);
      c.setProperty(x509.getSslTruststorePasswdProperty(), "");
      c.setProperty(x509.getSslKeystoreLocationProperty(), "");
      c.setProperty(x509.getSslHostnameVerificationEnabledProperty(), "true");
      c.setProperty(x509.getSslCrlEnabledProperty(), "false");
      c.setProperty(x509.getSslOcspEnabledProperty(), "false");
    }
    return c;
  }
}
