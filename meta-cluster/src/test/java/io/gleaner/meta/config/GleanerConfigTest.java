package io.gleaner.meta.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;

class GleanerConfigTest {

  @Test
  void defaultsAreComplete() {
    GleanerConfig c = GleanerConfig.loader().defaults();
    assertThat(c).isEqualTo(GleanerConfig.DEFAULTS);
    assertThat(c.instance()).isEqualTo("gleaner");
    assertThat(c.clock().speed()).isEqualTo(1.0);
    assertThat(c.zk().namespace()).isEqualTo("gleaner");
    assertThat(c.leaderElection().enabled()).isTrue();
    assertThat(c.metrics().bindAddress()).isEqualTo(new HostPort("0.0.0.0", 8080));
    assertThat(c.virtualKubelet().nodeName()).isEqualTo("gleaner");
    assertThat(c.virtualKubelet().kubeletPort()).isEqualTo(10250);
    assertThat(c.descheduler().decisionWindow()).isEqualTo(Duration.ofMillis(250));
    assertThat(c.broker().grpc().tls().enabled()).isFalse();
  }

  @Test
  void fileOverridesDefaultsKeyByKey() {
    GleanerConfig c =
        GleanerConfig.fromYaml(
            """
                instance: prod-east
                broker:
                  grpc:
                    port: 9443
                  offerTtl: 1h30m
                virtualKubelet:
                  namespaceMapping:
                    mode: prefix
                    prefix: team-
                descheduler:
                  dryRun: true
                """);
    assertThat(c.instance()).isEqualTo("prod-east");
    assertThat(c.broker().grpc().port()).isEqualTo(9443);
    assertThat(c.broker().grpc().host()).isEqualTo("0.0.0.0");
    assertThat(c.broker().offerTtl()).isEqualTo(Duration.ofMinutes(90));
    assertThat(c.broker().dashboard().enabled()).isTrue();
    assertThat(c.virtualKubelet().namespaceMapping().memberNamespace("ml")).isEqualTo("team-ml");
    assertThat(c.descheduler().dryRun()).isTrue();
    assertThat(c.descheduler().decisionWindow()).isEqualTo(Duration.ofMillis(250));
  }

  @Test
  void nullOrEmptySectionKeepsDefaults() {
    GleanerConfig c = GleanerConfig.fromYaml("broker:\nzk: ~\n");
    assertThat(c.broker()).isEqualTo(BrokerConfig.DEFAULTS);
    assertThat(c.zk()).isEqualTo(ZkConfig.DEFAULTS);
    assertThat(GleanerConfig.fromYaml("")).isEqualTo(GleanerConfig.DEFAULTS);
  }

  @Test
  void unknownKeyIsNamed() {
    assertThatThrownBy(() -> GleanerConfig.fromYaml("broker:\n  grpcc:\n    port: 1\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown key \"broker.grpcc\"")
        .hasMessageContaining("grpc");
  }

  @Test
  void typeErrorNamesKeyAndValue() {
    assertThatThrownBy(() -> GleanerConfig.fromYaml("broker:\n  grpc:\n    port: abc\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("broker.grpc.port: expected an integer, got \"abc\"");
    assertThatThrownBy(() -> GleanerConfig.fromYaml("descheduler:\n  dryRun: maybe\n"))
        .hasMessageContaining("descheduler.dryRun: expected true or false, got \"maybe\"");
    assertThatThrownBy(() -> GleanerConfig.fromYaml("virtualKubelet:\n  kubeletPort: 1.5\n"))
        .hasMessageContaining("virtualKubelet.kubeletPort");
    assertThatThrownBy(
            () ->
                GleanerConfig.fromYaml("virtualKubelet:\n  namespaceMapping:\n    mode: mirror\n"))
        .hasMessageContaining(
            "virtualKubelet.namespaceMapping.mode: expected one of SAME, PREFIX, SINGLE, got \"mirror\"");
    assertThatThrownBy(() -> GleanerConfig.fromYaml("broker: [1, 2]\n"))
        .hasMessageContaining("broker: expected a mapping of keys");
  }

  @Test
  void badDurationNamesKeyAndValue() {
    assertThatThrownBy(() -> GleanerConfig.fromYaml("broker:\n  offerTtl: 10x\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("broker.offerTtl: invalid duration \"10x\": unknown unit \"x\"");
    assertThatThrownBy(() -> GleanerConfig.fromYaml("broker:\n  offerTtl: 10\n"))
        .hasMessageContaining("broker.offerTtl: invalid duration \"10\"");
  }

  @Test
  void badAddressNamesKey() {
    assertThatThrownBy(() -> GleanerConfig.fromYaml("metrics:\n  bindAddress: localhost\n"))
        .hasMessageContaining("metrics.bindAddress: invalid address \"localhost\"");
  }

  @Test
  void gangTtlDefaultsToTwoMinutesAndMustBePositive() {
    assertThat(GleanerConfig.fromYaml("").broker().gangTtl()).isEqualTo(Duration.ofMinutes(2));
    assertThat(GleanerConfig.fromYaml("broker:\n  gangTtl: 2h\n").broker().gangTtl())
        .isEqualTo(Duration.ofHours(2));
    assertThat(GleanerConfig.load(null, Map.of("broker.gangTtl", "7200s")).broker().gangTtl())
        .isEqualTo(Duration.ofHours(2));
    assertThatThrownBy(() -> GleanerConfig.fromYaml("broker:\n  gangTtl: 0s\n"))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .containsExactly("broker.gangTtl: must be a positive duration, got 0s"));
    assertThatThrownBy(() -> GleanerConfig.fromYaml("broker:\n  gangTtl: -1m\n"))
        .hasMessageContaining("broker.gangTtl");
  }

  @Test
  void validationNamesEveryBadKey() {
    assertThatThrownBy(
            () ->
                GleanerConfig.fromYaml(
                    """
                instance: Prod_East
                clock:
                  speed: 0
                broker:
                  grpc:
                    port: 70000
                    tls:
                      certFile: /tls/tls.crt
                  offerTtl: 0s
                virtualKubelet:
                  nodeName: Gleaner
                  namespaceMapping:
                    mode: single
                    namespace: "-bad"
                """))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .containsExactlyInAnyOrder(
                        "instance: must be a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters), got \"Prod_East\"",
                        "clock.speed: must be a finite number > 0, got 0.0",
                        "broker.offerTtl: must be a positive duration, got 0s",
                        "broker.grpc.port: must be between 0 and 65535, got 70000",
                        "broker.grpc.tls.keyFile: must be set together with certFile (TLS needs both or neither)",
                        "virtualKubelet.nodeName: must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', at most 253 characters), got \"Gleaner\"",
                        "virtualKubelet.namespaceMapping.namespace: must be a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters), got \"-bad\""));
  }

  @Test
  void duplicateKeyAndSyntaxErrorsAreReported() {
    assertThatThrownBy(() -> GleanerConfig.fromYaml("instance: a\ninstance: b\n"))
        .hasMessageContaining("instance");
    assertThatThrownBy(() -> GleanerConfig.fromYaml("broker: {grpc: [\n"))
        .hasMessageContaining("not valid YAML")
        .hasMessageContaining("line");
    assertThatThrownBy(() -> GleanerConfig.fromYaml("- a\n- b\n"))
        .hasMessageContaining("expected a mapping of keys at the top level");
  }

  @Test
  void missingFileIsNamed(@TempDir Path dir) {
    Path missing = dir.resolve("nope.yaml");
    assertThatThrownBy(() -> GleanerConfig.load(missing, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("does not exist");
  }

  @Test
  void overridesApplyOverFileInOrder(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("gleaner.yaml");
    Files.writeString(file, "broker:\n  offerTtl: 5m\n  grpc:\n    port: 9000\ninstance: file\n");
    Map<String, String> overrides = new LinkedHashMap<>();
    overrides.put("broker.grpc.port", "9100");
    overrides.put("instance", "flag");
    overrides.put("descheduler.dryRun", "true");
    overrides.put("virtualKubelet.nodeName", "'123'");
    GleanerConfig c = GleanerConfig.load(file, overrides);
    assertThat(c.broker().grpc().port()).isEqualTo(9100);
    assertThat(c.broker().offerTtl()).isEqualTo(Duration.ofMinutes(5));
    assertThat(c.instance()).isEqualTo("flag");
    assertThat(c.descheduler().dryRun()).isTrue();
    assertThat(c.virtualKubelet().nodeName()).isEqualTo("123");
  }

  @Test
  void overrideWithUnknownKeyIsNamed() {
    assertThatThrownBy(() -> GleanerConfig.load(null, Map.of("broker.grpcc.port", "1")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "--set broker.grpcc.port=1: unknown key \"broker.grpcc\" (keys at \"broker\": dashboard, gangTtl, grpc, kueue, offerTtl)");
    assertThatThrownBy(() -> GleanerConfig.load(null, Map.of("instance.x", "1")))
        .hasMessageContaining("\"instance\" is a value, not a section");
    assertThatThrownBy(() -> GleanerConfig.load(null, Map.of("broker..port", "1")))
        .hasMessageContaining("is not a key path");
    assertThatThrownBy(() -> GleanerConfig.load(null, Map.of("broker.grpc.port", "abc")))
        .hasMessageContaining("broker.grpc.port: expected an integer, got \"abc\"");
  }

  @Test
  void rendersEffectiveConfigThatLoadsBack() {
    GleanerConfig c =
        GleanerConfig.fromYaml("broker:\n  offerTtl: 90s\nmetrics:\n  bindAddress: '[::1]:0'\n");
    String yaml = c.toYaml();
    assertThat(yaml)
        .contains("offerTtl: 1m30s")
        .contains("bindAddress: \"[::1]:0\"")
        .contains("decisionWindow: 250ms");
    assertThat(GleanerConfig.fromYaml(yaml)).isEqualTo(c);
  }

  @CommandLine.Command(name = "svc")
  static class Svc implements Runnable {
    @Mixin CommonOptions common;

    @Override
    public void run() {}
  }

  private static GleanerConfig parseFlags(String... args) {
    Svc svc = new Svc();
    new CommandLine(svc).parseArgs(args);
    return GleanerConfig.load(svc.common);
  }

  @Test
  void typedFlagsWinOverFileAndSet(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("c.yaml");
    Files.writeString(
        file,
        "zk:\n  connect: file:2181\n  namespace: fromfile\nleaderElection:\n  enabled: true\n");
    GleanerConfig c =
        parseFlags(
            "--config",
            file.toString(),
            "--set",
            "zk.connect=set:2181",
            "--zk-connect",
            "flag:2181",
            "--leader-elect=false",
            "--leader-elect-lease-duration",
            "20s",
            "--metrics-bind-address",
            "127.0.0.1:0",
            "--instance",
            "east",
            "--speed",
            "60",
            "--kubeconfig",
            "/k/config");
    assertThat(c.zk().connect()).isEqualTo("flag:2181");
    assertThat(c.zk().namespace()).isEqualTo("fromfile");
    assertThat(c.leaderElection().enabled()).isFalse();
    assertThat(c.leaderElection().leaseDuration()).isEqualTo(Duration.ofSeconds(20));
    assertThat(c.metrics().bindAddress()).isEqualTo(new HostPort("127.0.0.1", 0));
    assertThat(c.instance()).isEqualTo("east");
    assertThat(c.clock().speed()).isEqualTo(60.0);
    assertThat(c.kubeconfig()).isEqualTo("/k/config");
  }

  @Test
  void flagsNotGivenLeaveFileAlone(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("c.yaml");
    Files.writeString(file, "leaderElection:\n  enabled: false\n");
    assertThat(parseFlags("--config", file.toString()).leaderElection().enabled()).isFalse();
    assertThat(parseFlags("--leader-elect").leaderElection().enabled()).isTrue();
    assertThat(parseFlags().leaderElection().enabled()).isTrue();
  }

  @Test
  void badFlagValueNamesKey() {
    assertThatThrownBy(() -> parseFlags("--speed", "fast"))
        .hasMessageContaining("clock.speed: expected a number, got \"fast\"");
    assertThatThrownBy(() -> parseFlags("--leader-elect-lease-duration", "15"))
        .hasMessageContaining("leaderElection.leaseDuration: invalid duration \"15\"");
    assertThatThrownBy(() -> parseFlags("--metrics-bind-address", "0.0.0.0:http"))
        .hasMessageContaining("metrics.bindAddress: invalid address \"0.0.0.0:http\"");
  }

  @Test
  void kubeletTlsFromFilesOrACsrAndBadCombinationsNameTheKey() {
    assertThat(GleanerConfig.DEFAULTS.virtualKubelet().tls().files()).isFalse();
    assertThat(GleanerConfig.DEFAULTS.virtualKubelet().tls().csr()).isFalse();
    GleanerConfig files =
        GleanerConfig.fromYaml(
            "virtualKubelet:\n  tls:\n    certFile: /etc/gleaner/tls/tls.crt\n    keyFile: /etc/gleaner/tls/tls.key\n");
    assertThat(files.virtualKubelet().tls().files()).isTrue();
    assertThat(
            GleanerConfig.fromYaml("virtualKubelet:\n  tls:\n    csr: true\n")
                .virtualKubelet()
                .tls()
                .csr())
        .isTrue();
    assertThatThrownBy(
            () -> GleanerConfig.fromYaml("virtualKubelet:\n  tls:\n    certFile: /a.crt\n"))
        .hasMessageContaining("virtualKubelet.tls.keyFile");
    assertThatThrownBy(
            () ->
                GleanerConfig.fromYaml(
                    "virtualKubelet:\n  tls:\n    csr: true\n    certFile: /a\n    keyFile: /b\n"))
        .hasMessageContaining("virtualKubelet.tls.csr");
  }

  @Test
  void reclaimHooksAreConfigured() {
    GleanerConfig c =
        GleanerConfig.fromYaml(
            """
                descheduler:
                  hooks:
                    server:
                      port: 9443
                      tls: {certFile: /tls/tls.crt, keyFile: /tls/tls.key}
                    webhooks:
                      pager:
                        url: https://pager.example.com/gleaner
                        secretFile: /etc/gleaner/webhooks/pager/key
                        clusters: [online-1]
                        sources: [idle]
                """);
    DeschedulerConfig.Hooks h = c.descheduler().hooks();
    assertThat(h.server())
        .isEqualTo(
            new DeschedulerConfig.HookServer(
                true, "0.0.0.0", 9443, new ServerTls("/tls/tls.crt", "/tls/tls.key")));
    DeschedulerConfig.Webhook w = h.webhooks().get("pager");
    assertThat(w.url()).isEqualTo("https://pager.example.com/gleaner");
    assertThat(w.maxAttempts()).isEqualTo(4);
    assertThat(w.timeout()).isEqualTo(java.time.Duration.ofSeconds(5));
    assertThat(w.clusters()).containsExactly("online-1");
  }

  @Test
  void badWebhooksAreNamedKeyByKey() {
    assertThatThrownBy(
            () ->
                GleanerConfig.fromYaml(
                    """
                        descheduler:
                          hooks:
                            server: {port: 70000, tls: {certFile: /a.crt}}
                            webhooks:
                              pager: {url: "ftp://x", maxAttempts: 0, sources: [spot]}
                        """))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("descheduler.hooks.server.port: must be between 0 and 65535")
        .hasMessageContaining("descheduler.hooks.server.tls.keyFile: must be set together")
        .hasMessageContaining("descheduler.hooks.webhooks.pager.url: must be http or https")
        .hasMessageContaining("descheduler.hooks.webhooks.pager.secretFile: must not be empty")
        .hasMessageContaining("descheduler.hooks.webhooks.pager.maxAttempts: must be between 1")
        .hasMessageContaining("descheduler.hooks.webhooks.pager.sources: must be one of");
  }

  @Test
  void brokerClientTlsNeedsACaForACertificateAndBothCertAndKey() {
    assertThat(GleanerConfig.DEFAULTS.brokerTls().enabled()).isFalse();
    assertThat(GleanerConfig.fromYaml("brokerTls: {caFile: /tls/ca.crt}\n").brokerTls().enabled())
        .isTrue();
    assertThatThrownBy(() -> GleanerConfig.fromYaml("brokerTls: {certFile: /tls/tls.crt}\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("brokerTls.keyFile: must be set together with certFile")
        .hasMessageContaining("brokerTls.caFile: must be set when a client certificate is");
  }
}
