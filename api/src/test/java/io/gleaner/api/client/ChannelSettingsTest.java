package io.gleaner.api.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ChannelSettingsTest {
  @Test
  void plaintextByDefault() {
    assertThat(ChannelSettings.plaintext("b:9090", "vk").tls()).isFalse();
  }

  @Test
  void clientCertificateNeedsItsKeyAndACa() {
    ChannelSettings s = ChannelSettings.plaintext("b:9090", "vk");
    assertThatThrownBy(() -> s.withTls("ca.pem", "cert.pem", null))
        .hasMessageContaining("both certFile and keyFile");
    assertThatThrownBy(() -> s.withTls(null, "cert.pem", "key.pem"))
        .hasMessageContaining("set caFile");
    assertThat(s.withTls("ca.pem", "cert.pem", "key.pem").tls()).isTrue();
  }

  @Test
  void unreadableTlsFilesNameEveryFile() {
    ChannelSettings s =
        ChannelSettings.plaintext("b:9090", "vk").withTls("/nope/ca.pem", null, null);
    assertThatThrownBy(
            () ->
                ApiChannels.open(s, new io.micrometer.core.instrument.simple.SimpleMeterRegistry()))
        .hasMessageContaining("/nope/ca.pem");
    ChannelSettings withCert =
        ChannelSettings.plaintext("b:9090", "vk")
            .withTls("/nope/ca.pem", "/nope/tls.crt", "/nope/tls.key");
    assertThatThrownBy(
            () ->
                ApiChannels.open(
                    withCert, new io.micrometer.core.instrument.simple.SimpleMeterRegistry()))
        .hasMessageContaining("/nope/tls.crt")
        .hasMessageContaining("/nope/tls.key");
  }
}
