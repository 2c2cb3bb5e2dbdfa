package io.gleaner.meta.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Member responses are decoded off the shared Vert.x event loops: a large list (a member's pods at
 * start-up, tens of megabytes in a big cluster) decoded on an event loop stalls every other
 * member's requests, watches and probes that share it, so members that answered look unreachable.
 */
class MemberResponsesOffEventLoopIT {
  private final List<String> decodedOn = new CopyOnWriteArrayList<>();
  private final MemberHttpClients shared =
      new MemberHttpClients(
          new KubernetesSerialization() {
            @Override
            public <T> T unmarshal(InputStream is, TypeReference<T> type) {
              decodedOn.add(Thread.currentThread().getName());
              return super.unmarshal(is, type);
            }

            @Override
            public <T> T unmarshal(InputStream is, Class<T> type) {
              decodedOn.add(Thread.currentThread().getName());
              return super.unmarshal(is, type);
            }
          });
  private ServerSocket server;

  @AfterEach
  void tearDown() throws Exception {
    shared.close();
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aListIsDecodedOnATaskThreadNotOnTheEventLoop() throws Exception {
    int port = serve(podList(200));
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl("http://127.0.0.1:" + port)
            .withRequestRetryBackoffLimit(0)
            .build();
    try (KubernetesClient client =
        shared.applyTo(new KubernetesClientBuilder().withConfig(config)).build()) {
      PodList pods = client.pods().inAnyNamespace().list();
      assertThat(pods.getItems()).hasSize(200);
      PodList again = client.pods().inNamespace("team-a").list();
      assertThat(again.getItems()).hasSize(200);
    }
    assertThat(decodedOn).isNotEmpty();
    // a task thread, or the caller when the answer was complete before fabric8 chained its
    // decoding (it then runs where it is chained): never an event loop
    String caller = Thread.currentThread().getName();
    assertThat(decodedOn)
        .as("threads that decoded the member's answers")
        .noneMatch(t -> t.startsWith("vert.x-eventloop"))
        .allMatch(t -> t.startsWith("gleaner-member-task") || t.equals(caller));
  }

  private int serve(String body) throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept =
        new Thread(
            () -> {
              while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                  skipHead(s.getInputStream());
                  byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                  OutputStream out = s.getOutputStream();
                  out.write(
                      ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                              + bytes.length
                              + "\r\nConnection: close\r\n\r\n")
                          .getBytes(StandardCharsets.US_ASCII));
                  out.write(bytes);
                  out.flush();
                } catch (IOException e) {
                  // closed
                }
              }
            },
            "list-endpoint");
    accept.setDaemon(true);
    accept.start();
    return server.getLocalPort();
  }

  private static String podList(int n) {
    StringBuilder b = new StringBuilder("{\"kind\":\"PodList\",\"apiVersion\":\"v1\",");
    b.append("\"metadata\":{\"resourceVersion\":\"7\"},\"items\":[");
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        b.append(',');
      }
      b.append("{\"metadata\":{\"name\":\"p")
          .append(i)
          .append("\",\"namespace\":\"team-a\"},\"spec\":{\"containers\":[{\"name\":\"c\",")
          .append("\"image\":\"busybox\",\"resources\":{\"requests\":{\"cpu\":\"1\"}}}]},")
          .append("\"status\":{\"phase\":\"Running\"}}");
    }
    return b.append("]}").toString();
  }

  private static void skipHead(InputStream in) throws IOException {
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        return;
      }
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
  }
}
