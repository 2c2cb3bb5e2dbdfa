package io.gleaner.meta.config;

import java.time.Duration;

/**
 * ZooKeeper connection ({@code zk.*}).
 *
 * @param connect the connect string, {@code host:port[,host:port...]}; flag {@code --zk-connect}
 * @param namespace the Curator namespace (a root znode without leading slash) under which all
 *     Gleaner state lives; flag {@code --zk-namespace}
 * @param connectionTimeout how long a service waits for ZooKeeper at start before failing
 */
public record ZkConfig(String connect, String namespace, Duration connectionTimeout)
    implements Validatable {
  public static final ZkConfig DEFAULTS =
      new ZkConfig("127.0.0.1:2181", "gleaner", Duration.ofSeconds(15));

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
  }
}
