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
 */
public record ZkConfig(
    String connect, String namespace, Duration connectionTimeout, String authFile)
    implements Validatable {
  public static final ZkConfig DEFAULTS =
      new ZkConfig("127.0.0.1:2181", "gleaner", Duration.ofSeconds(15), null);

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
