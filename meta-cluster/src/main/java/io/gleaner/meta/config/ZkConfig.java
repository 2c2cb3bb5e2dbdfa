package io.gleaner.meta.config;

import java.time.Duration;

/**
 * ZooKeeper connection ({@code zk.*}).
 *
 * @param connect the connect string, {@code host:port[,host:port...]}; flag {@code --zk-connect}
 * @param namespace the Curator namespace (a root znode without leading slash) under which all
 *     Gleaner state lives; flag {@code --zk-namespace}
 * @param connectionTimeout how long a service waits for ZooKeeper at start before failing
 * @param authFile a file holding {@code user:password}: the service authenticates with ZooKeeper's
 *     {@code digest} scheme and every znode it creates is readable and writable by that identity
 *     only; null (the default) means no authentication and open znodes, which lets anyone who
 *     reaches ZooKeeper read and rewrite Gleaner's state
 * @param tls TLS to ZooKeeper's secure client port; plaintext by default
 */
public record ZkConfig(
    String connect, String namespace, Duration connectionTimeout, String authFile, Tls tls)
    implements Validatable {
  public static final ZkConfig DEFAULTS =
      new ZkConfig("127.0.0.1:2181", "gleaner", Duration.ofSeconds(15), null, Tls.NONE);

  /** {@link #tls} off. */
  public ZkConfig(String connect, String namespace, Duration connectionTimeout, String authFile) {
    this(connect, namespace, connectionTimeout, authFile, Tls.NONE);
  }

  /**
   * TLS to ZooKeeper ({@code zk.tls.*}): the client verifies the server's certificate against
   * {@code caFile} and its host name (or IP address) against the certificate's names, and
   * authenticates with the digest identity of {@code authFile}, not with a certificate (the server
   * must not require client certificates: {@code ssl.clientAuth=none}).
   *
   * @param caFile PEM bundle the server's certificate must chain to; null: plaintext
   */
  public record Tls(String caFile) implements Validatable {
    public static final Tls NONE = new Tls(null);

    public boolean enabled() {
      return caFile != null;
    }

    @Override
    public void validate(Problems p) {
      p.check(caFile == null || !caFile.isBlank(), "caFile", caFile, "must not be blank");
    }
  }

  @Override
  public void validate(Problems p) {
    p.notBlank("connect", connect);
    p.check(
        namespace != null
            && !namespace.isBlank()
            && !namespace.startsWith("/")
            && !namespace.endsWith("/")
            && !namespace.contains("//"),
        "namespace",
        namespace,
        "must be a znode path without leading or trailing '/'");
    p.positive("connectionTimeout", connectionTimeout);
    p.check(authFile == null || !authFile.isBlank(), "authFile", authFile, "must not be blank");
  }
}
