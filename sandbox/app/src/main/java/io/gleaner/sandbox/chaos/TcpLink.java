package io.gleaner.sandbox.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP link between one client and a server on loopback that can be cut as a network partition
 * cuts it: while cut, connections stay open but no byte crosses in either direction (new
 * connections are accepted and wait), so calls time out rather than fail fast; once healed, what
 * waited crosses. Used to cut the virtual-kubelet off from the broker ({@link
 * ChaosScenario#VIRTUAL_KUBELET_BROKER_CUT}).
 */
public final class TcpLink implements AutoCloseable {
  private final ServerSocket server;
  private final InetSocketAddress target;
  private final Object gate = new Object();
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile boolean cut;
  private volatile boolean closed;

  /** Listens on a free loopback port and forwards to {@code target}. */
  public TcpLink(InetSocketAddress target) throws IOException {
    this.target = target;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::accept, "tcp-link-" + server.getLocalPort());
    accept.setDaemon(true);
    accept.start();
  }

  /** The port clients connect to. */
  public int port() {
    return server.getLocalPort();
  }

  /** Cuts the link ({@code true}) or heals it. */
  public void cut(boolean cut) {
    synchronized (gate) {
      this.cut = cut;
      gate.notifyAll();
    }
  }

  /** Connections open now (both sides of each). */
  public int connections() {
    return open.size() / 2;
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = server.accept();
        Thread t = new Thread(() -> connect(client), "tcp-link-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        if (!closed) {
          continue;
        }
        return;
      }
    }
  }

  private void connect(Socket client) {
    try {
      awaitHealed();
      Socket upstream = new Socket();
      upstream.connect(target, 5000);
      client.setTcpNoDelay(true);
      upstream.setTcpNoDelay(true);
      open.add(client);
      open.add(upstream);
      pump(client, upstream, "up");
      pump(upstream, client, "down");
    } catch (IOException | InterruptedException e) {
      closeQuietly(client);
    }
  }

  private void pump(Socket from, Socket to, String direction) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[16 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                  awaitHealed();
                  out.write(buf, 0, n);
                  out.flush();
                }
              } catch (IOException | InterruptedException e) {
                // one side closed: the other goes too
              } finally {
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "tcp-link-" + direction);
    t.setDaemon(true);
    t.start();
  }

  private void awaitHealed() throws InterruptedException {
    synchronized (gate) {
      while (cut && !closed) {
        gate.wait();
      }
    }
  }

  private void closeQuietly(Socket s) {
    open.remove(s);
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    closed = true;
    cut(false);
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    open.forEach(this::closeQuietly);
  }
}
