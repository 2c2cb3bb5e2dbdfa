package io.gleaner.meta.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * The configuration of every Gleaner service: common keys plus one section per service. All four
 * services read the same file; each uses the common keys and its own section.
 *
 * <p>Every key has a default ({@link #DEFAULTS}); keys are the record component names. To add a
 * key: add a component to the section record, its default to the section's {@code DEFAULTS}, and a
 * check to its {@code validate} if it can be wrong.
 *
 * @param instance the installation id, stamped on member pods as {@code gleaner.io/instance} to
 *     scope garbage collection; flag {@code --instance}
 * @param clock the service's clock: speed (flag {@code --speed}) and anchor, see {@link
 *     ClockConfig}
 * @param kubeconfig the metadata cluster's kubeconfig; null means in-cluster or the default
 *     kubeconfig; flag {@code --kubeconfig}
 * @param brokerAddress where the other services reach the broker's gRPC server
 * @param brokerTls how they verify it (and, optionally, authenticate to it); plaintext by default
 */
public record GleanerConfig(
    String instance,
    ClockConfig clock,
    String kubeconfig,
    HostPort brokerAddress,
    ClientTls brokerTls,
    ZkConfig zk,
    LeaderElectionConfig leaderElection,
    MetricsConfig metrics,
    BrokerConfig broker,
    IdleDetectorConfig idleDetector,
    VirtualKubeletConfig virtualKubelet,
    DeschedulerConfig descheduler)
    implements Validatable {

  public static final GleanerConfig DEFAULTS =
      new GleanerConfig(
          "gleaner",
          ClockConfig.DEFAULTS,
          null,
          new HostPort("127.0.0.1", 9090),
          ClientTls.NONE,
          ZkConfig.DEFAULTS,
          LeaderElectionConfig.DEFAULTS,
          MetricsConfig.DEFAULTS,
          BrokerConfig.DEFAULTS,
          IdleDetectorConfig.DEFAULTS,
          VirtualKubeletConfig.DEFAULTS,
          DeschedulerConfig.DEFAULTS);

  private static final ConfigLoader<GleanerConfig> LOADER =
      new ConfigLoader<>(GleanerConfig.class, DEFAULTS);

  /** The loader for this config type. */
  public static ConfigLoader<GleanerConfig> loader() {
    return LOADER;
  }

  /** Loads from the file and flags in {@code options} (file may be absent). */
  public static GleanerConfig load(CommonOptions options) {
    return LOADER.load(options.config(), options.overrides());
  }

  /** Loads {@code file} (null for none) with overrides; see {@link ConfigLoader#load}. */
  public static GleanerConfig load(Path file, Map<String, String> overrides) {
    return LOADER.load(file, overrides);
  }

  /** Parses YAML text over the defaults; for tests. */
  public static GleanerConfig fromYaml(String yaml) {
    return LOADER.loadYaml(yaml);
  }

  /** This config as YAML, every key included; log it once at start. */
  public String toYaml() {
    return LOADER.toYaml(this);
  }

  @Override
  public void validate(Problems p) {
    p.check(
        instance != null
            && instance.length() <= 63
            && instance.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?"),
        "instance",
        instance,
        "must be a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters)");
    p.check(
        kubeconfig == null || !kubeconfig.isBlank(),
        "kubeconfig",
        kubeconfig,
        "must be a file path or left out");
    p.check(
        brokerAddress != null && brokerAddress.port() > 0,
        "brokerAddress",
        brokerAddress,
        "must be host:port with a port > 0");
  }
}
