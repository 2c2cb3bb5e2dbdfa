package io.gleaner.broker.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.client.ChannelSettings;
import io.gleaner.broker.BrokerService;
import io.gleaner.broker.placement.PlacementPolicy;
import io.gleaner.meta.config.BrokerConfig;
import io.gleaner.meta.config.ServerTls;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.apiserver.auth.ClusterCa;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker serving TLS, and the one client every service uses verifying it. */
class BrokerTlsIT {
  @TempDir Path dir;

  @Test
  void clientsVerifyTheBrokerAndRefuseAnotherCa() throws Exception {
    ClusterCa ca = ClusterCa.create("gleaner-ca");
    ClusterCa.Issued serving = ca.issueServing("broker", List.of("127.0.0.1", "localhost"));
    Path cert = Files.writeString(dir.resolve("tls.crt"), serving.certificatePem());
    Path key = Files.writeString(dir.resolve("tls.key"), serving.pkcs8KeyPem());
    Path caFile = Files.writeString(dir.resolve("ca.crt"), ca.certificatePem());
    Path otherCa =
        Files.writeString(dir.resolve("other.crt"), ClusterCa.create("other").certificatePem());
    BrokerService broker =
        new BrokerService(
            new BrokerConfig(
                new BrokerConfig.Grpc(
                    "127.0.0.1", 0, new ServerTls(cert.toString(), key.toString())),
                Duration.ofMinutes(1),
                new BrokerConfig.Dashboard(false)),
            PlacementPolicy.defaults(),
            new FakeClock(),
            new SimpleMeterRegistry(),
            null,
            null);
    broker.start();
    try {
      ChannelSettings base =
          ChannelSettings.plaintext(broker.target(), "test")
              .withCallDeadline(Duration.ofSeconds(5));
      try (BrokerApiClient ok =
          BrokerApiClient.open(
              base.withTls(caFile.toString(), null, null), new SimpleMeterRegistry())) {
        assertThat(ok.capacity().getAdvertisedNearLineMap()).isNotNull();
      }
      try (BrokerApiClient wrongCa =
          BrokerApiClient.open(
              base.withTls(otherCa.toString(), null, null), new SimpleMeterRegistry())) {
        assertThatThrownBy(wrongCa::capacity)
            .isInstanceOf(StatusRuntimeException.class)
            .hasMessageContaining("UNAVAILABLE");
      }
      try (BrokerApiClient plaintext = BrokerApiClient.open(base, new SimpleMeterRegistry())) {
        assertThatThrownBy(plaintext::capacity).isInstanceOf(StatusRuntimeException.class);
      }
    } finally {
      broker.stop();
    }
  }
}
