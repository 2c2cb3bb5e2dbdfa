package io.gleaner.sandbox.install;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ports for the sandbox's published addresses and its child processes, picked here and bound later
 * by whoever listens. A port found free by binding port 0 comes from the kernel's ephemeral range,
 * where any outgoing connection or another child's port-0 bind may take it before the listener
 * binds it ("Address already in use" at start). These come from below Linux's ephemeral range
 * (32768 and up), each handed out once per JVM and checked free when picked; the start is random so
 * that two sandboxes on one machine rarely meet.
 */
public final class LocalPorts {
  static final int LOW = 20_000;
  static final int HIGH = 32_000;
  private static final AtomicInteger NEXT =
      new AtomicInteger(LOW + ThreadLocalRandom.current().nextInt(HIGH - LOW));

  private LocalPorts() {}

  /** A free port not handed out before in this JVM. */
  public static int next() {
    for (int tries = 0; tries < HIGH - LOW; tries++) {
      int port = LOW + Math.floorMod(NEXT.getAndIncrement() - LOW, HIGH - LOW);
      if (isFree(port)) {
        return port;
      }
    }
    throw new IllegalStateException("no free port between " + LOW + " and " + HIGH);
  }

  /** {@code wanted} if nothing listens on it (0 = any), else {@link #next()}. */
  public static int orNext(int wanted) {
    return wanted > 0 && isFree(wanted) ? wanted : next();
  }

  /** Whether nothing listens on {@code port}, on any address. */
  public static boolean isFree(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress("0.0.0.0", port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
