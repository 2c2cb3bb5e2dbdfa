package io.gleaner.sandbox;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Ports of the sandbox's published addresses: the wanted one when it is free, else any free one.
 */
final class Ports {
  private Ports() {}

  /** {@code wanted} if nothing listens on it (0 = any), else a free port. */
  static int orFree(int wanted) {
    if (wanted > 0 && isFree(wanted)) {
      return wanted;
    }
    return io.gleaner.sandbox.install.ServiceProcesses.freePort();
  }

  static boolean isFree(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress("0.0.0.0", port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
