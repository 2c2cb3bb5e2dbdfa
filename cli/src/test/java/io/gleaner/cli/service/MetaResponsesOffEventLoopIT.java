package io.gleaner.cli.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.gleaner.meta.registry.Kubeconfigs;
import io.gleaner.meta.registry.MemberHttpClients;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metadata-cluster client of a service decodes its answers off its Vert.x event loops, as the
 * member clients do: a list of every pod on the virtual node decoded on a loop stalls the metadata
 * cluster's watches and requests that share it.
 */
class MetaResponsesOffEventLoopIT {
  private final List<String> decodedOn = new CopyOnWriteArrayList<>();
  private final MemberHttpClients http =
      new MemberHttpClients(
          "gleaner-meta",
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
    http.close();
    if (server != null) {
      server.close();
    }
  }

  @Test
  void theMetadataClientDecodesAListOnATaskThread(@TempDir Path dir) throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, Kubeconfigs.write("meta", "http://127.0.0.1:" + serve(300)));
    try (KubernetesClient meta =
        ServiceContext.metaClient(kubeconfig.toString(), http, UnaryOperator.identity())) {
      PodList pods = meta.pods().inAnyNamespace().list();
      assertThat(pods.getItems()).hasSize(300);
    }
    assertThat(decodedOn)
        .as("threads that decoded the metadata cluster's answer")
        .isNotEmpty()
        .noneMatch(t -> t.startsWith("vert.x-eventloop"))
        .allMatch(t -> t.startsWith("gleaner-meta-task"));
  }

  /** Answers every request with a list of {@code n} pods; returns the port. */
  private int serve(int n) throws IOException {
    byte[] body = podList(n).getBytes(StandardCharsets.UTF_8);
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept =
        new Thread(
            () -> {
              while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                  skipHead(s.getInputStream());
                  OutputStream out = s.getOutputStream();
                  out.write(
                      ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                              + body.length
                              + "\r\nConnection: close\r\n\r\n")
                          .getBytes(StandardCharsets.US_ASCII));
                  out.write(body);
                  out.flush();
                } catch (IOException e) {
                  // closed
                }
              }
            },
            "meta-list-endpoint");
    accept.setDaemon(true);
    accept.start();
    return server.getLocalPort();
  }

  private static String podList(int n) {
    StringBuilder b = new StringBuilder("{\"kind\":\"PodList\",\"apiVersion\":\"v1\",");
    b.append("\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[");
    for (int i = 0; i < n; i++) {
      b.append(i == 0 ? "" : ",")
          .append("{\"metadata\":{\"name\":\"p")
          .append(i)
          .append("\",\"namespace\":\"team-a\"},\"spec\":{\"nodeName\":\"gleaner\",")
          .append("\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]},")
          .append("\"status\":{\"phase\":\"Running\"}}");
    }
    return b.append("]}").toString();
  }

  private static void skipHead(InputStream in) throws IOException {
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int c = in.read();
      if (c < 0) {
        return;
      }
      matched = c == end[matched] ? matched + 1 : (c == '\r' ? 1 : 0);
    }
  }
}
