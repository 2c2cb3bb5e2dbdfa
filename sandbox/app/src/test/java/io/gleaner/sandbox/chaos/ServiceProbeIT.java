package io.gleaner.sandbox.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** What {@link ServiceProbe#acting} makes of a replica that is not there or does not answer. */
class ServiceProbeIT {
  private final ServiceProbe probe = new ServiceProbe();

  @Test
  void nothingListeningOnThePortLeadsNothing() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    assertThat(probe.acting(port)).contains(false);
  }

  @Test
  void aReplicaThatTakesTheConnectionAndNeverAnswersMayBeLeading() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      // the connection is taken (the backlog) and no answer ever comes
      assertThat(probe.acting(s.getLocalPort())).isEmpty();
    }
  }
}
