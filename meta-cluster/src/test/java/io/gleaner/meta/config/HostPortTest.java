package io.gleaner.meta.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HostPortTest {

  @ParameterizedTest
  @CsvSource({
    "0.0.0.0:8080, 0.0.0.0, 8080",
    ":8080, 0.0.0.0, 8080",
    "[::1]:9090, ::1, 9090",
    "broker.gleaner.svc:9090, broker.gleaner.svc, 9090",
    "127.0.0.1:0, 127.0.0.1, 0",
  })
  void parses(String text, String host, int port) {
    HostPort hp = HostPort.parse(text);
    assertThat(hp).isEqualTo(new HostPort(host, port));
    assertThat(HostPort.parse(hp.toString())).isEqualTo(hp);
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost", "host:", "host:abc", "host:70000", "::1:80", ""})
  void rejectsQuotingInput(String text) {
    assertThatThrownBy(() -> HostPort.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"" + text + "\"");
  }
}
