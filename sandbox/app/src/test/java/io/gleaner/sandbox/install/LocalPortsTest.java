package io.gleaner.sandbox.install;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class LocalPortsTest {

  @Test
  void aTakenPortIsReplacedByAFreeOne() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("0.0.0.0", 0));
      int port = taken.getLocalPort();

      int chosen = LocalPorts.orNext(port);

      assertThat(chosen).isNotEqualTo(port).isPositive();
      assertThat(LocalPorts.isFree(chosen)).isTrue();
    }
  }

  @Test
  void aFreePortIsKept() throws Exception {
    int free;
    try (ServerSocket s = new ServerSocket(0)) {
      free = s.getLocalPort();
    }
    assertThat(LocalPorts.orNext(free)).isEqualTo(free);
  }

  @Test
  void portsForChildProcessesComeFromBelowTheEphemeralRangeEachOnce() {
    java.util.Set<Integer> seen = new java.util.HashSet<>();
    for (int i = 0; i < 200; i++) {
      int p = LocalPorts.next();
      assertThat(p).isBetween(20_000, 31_999);
      assertThat(seen.add(p)).as("port %d handed out twice", p).isTrue();
    }
    assertThat(LocalPorts.orNext(0)).isBetween(20_000, 31_999);
  }
}
