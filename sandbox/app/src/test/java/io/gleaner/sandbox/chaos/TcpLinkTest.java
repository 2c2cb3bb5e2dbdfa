package io.gleaner.sandbox.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The link carries bytes both ways, carries none while cut (the connection stays), then heals. */
class TcpLinkTest {
  private ServerSocket echo;
  private TcpLink link;

  @BeforeEach
  void setUp() throws IOException {
    echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t =
        new Thread(
            () -> {
              while (!echo.isClosed()) {
                try {
                  Socket s = echo.accept();
                  Thread pump =
                      new Thread(
                          () -> {
                            try (s;
                                InputStream in = s.getInputStream();
                                OutputStream out = s.getOutputStream()) {
                              in.transferTo(out);
                            } catch (IOException ignored) {
                              // closed
                            }
                          });
                  pump.setDaemon(true);
                  pump.start();
                } catch (IOException e) {
                  return;
                }
              }
            });
    t.setDaemon(true);
    t.start();
    link = new TcpLink(new InetSocketAddress("127.0.0.1", echo.getLocalPort()));
  }

  @AfterEach
  void tearDown() throws IOException {
    link.close();
    echo.close();
  }

  @Test
  void bytesCrossUntilCutThenWaitForTheHeal() throws Exception {
    try (Socket client = new Socket("127.0.0.1", link.port())) {
      client.setSoTimeout(2000);
      OutputStream out = client.getOutputStream();
      InputStream in = client.getInputStream();
      out.write('a');
      out.flush();
      assertThat(in.read()).isEqualTo('a');

      link.cut(true);
      out.write('b');
      out.flush();
      client.setSoTimeout(300);
      // nothing crosses while cut: the read times out, the connection stays open
      assertThatThrownBy(in::read).isInstanceOf(SocketTimeoutException.class);
      assertThat(link.connections()).isEqualTo(1);

      link.cut(false);
      client.setSoTimeout(2000);
      assertThat(in.read()).as("what waited crosses once healed").isEqualTo('b');
    }
  }
}
