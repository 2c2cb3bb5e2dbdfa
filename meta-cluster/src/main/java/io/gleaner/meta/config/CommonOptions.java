package io.gleaner.meta.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The flags every Gleaner service accepts, as a picocli mixin ({@code @Mixin CommonOptions
 * common}). Names follow Kubernetes components where one exists.
 *
 * <p>A flag that is not given leaves the file's value (or the default) alone: flags &gt; file &gt;
 * defaults. {@code --set key.path=value} overrides any key; typed flags win over {@code --set}.
 * Values are checked when the config is loaded, so errors name the key.
 */
public class CommonOptions {

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "YAML config file (all keys optional; see README 'Configuration').")
  Path config;

  @Option(
      names = "--kubeconfig",
      paramLabel = "FILE",
      description =
          "Kubeconfig of the metadata cluster (default: in-cluster, then ~/.kube/config).")
  String kubeconfig;

  @Option(
      names = "--leader-elect",
      arity = "0..1",
      paramLabel = "BOOL",
      fallbackValue = "true",
      description =
          "Elect a leader through ZooKeeper before acting (default true; false = always leader, one replica only).")
  Boolean leaderElect;

  @Option(
      names = "--leader-elect-lease-duration",
      paramLabel = "DURATION",
      description =
          "ZooKeeper session timeout: how long before another replica may take over a silent leader (default 15s).")
  String leaderElectLeaseDuration;

  @Option(
      names = "--zk-connect",
      paramLabel = "HOSTS",
      description = "ZooKeeper connect string host:port[,host:port] (default 127.0.0.1:2181).")
  String zkConnect;

  @Option(
      names = "--zk-namespace",
      paramLabel = "PATH",
      description = "Root znode for Gleaner's state (default gleaner).")
  String zkNamespace;

  @Option(
      names = "--metrics-bind-address",
      paramLabel = "HOST:PORT",
      description =
          "Address of /metrics, /healthz and /readyz (default 0.0.0.0:8080; port 0 = any free port).")
  String metricsBindAddress;

  @Option(
      names = "--instance",
      paramLabel = "ID",
      description = "Installation id, scopes garbage collection of member pods (default gleaner).")
  String instance;

  @Option(
      names = "--speed",
      paramLabel = "FACTOR",
      description = "Clock acceleration for simulations (default 1).")
  String speed;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      mapFallbackValue = "",
      description = "Override any config key, e.g. --set broker.offerTtl=2m (repeatable).")
  Map<String, String> set = new LinkedHashMap<>();

  /** The config file, or null. */
  public Path config() {
    return config;
  }

  /**
   * The overrides for {@link ConfigLoader#load}: {@code --set} entries in order, then the typed
   * flags that were given.
   */
  public Map<String, String> overrides() {
    Map<String, String> out = new LinkedHashMap<>();
    if (set != null) {
      out.putAll(set);
    }
    put(out, "kubeconfig", quoted(kubeconfig));
    put(out, "leaderElection.enabled", leaderElect == null ? null : leaderElect.toString());
    put(out, "leaderElection.leaseDuration", quoted(leaderElectLeaseDuration));
    put(out, "zk.connect", quoted(zkConnect));
    put(out, "zk.namespace", quoted(zkNamespace));
    put(out, "metrics.bindAddress", quoted(metricsBindAddress));
    put(out, "instance", quoted(instance));
    put(out, "clock.speed", speed);
    return out;
  }

  private static void put(Map<String, String> out, String key, String value) {
    if (value != null) {
      out.remove(key);
      out.put(key, value);
    }
  }

  /** Keeps a string flag a string when read as YAML (e.g. a namespace "123", a duration "10"). */
  private static String quoted(String value) {
    if (value == null) {
      return null;
    }
    return "'" + value.replace("'", "''") + "'";
  }
}
