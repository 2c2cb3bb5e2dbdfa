package io.gleaner.vk.kubelet;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemberWebSocketsTest {
  private static final String PATH = "/api/v1/namespaces/a/pods/p/exec?command=ls";

  @Test
  void aTokenIsSentAsBearerAndTheServerPathPrefixIsKept() throws Exception {
    Config c =
        new ConfigBuilder(Config.empty())
            .withMasterUrl("https://members.example:6443/cluster-7/")
            .withOauthToken("t0k3n")
            .withTrustCerts(true)
            .build();
    WebSocketConnectOptions o =
        MemberWebSockets.connectOptions(c, PATH, List.of("v5.channel.k8s.io", "v4.channel.k8s.io"));
    assertThat(o.getHost()).isEqualTo("members.example");
    assertThat(o.getPort()).isEqualTo(6443);
    assertThat(o.isSsl()).isTrue();
    assertThat(o.getURI()).isEqualTo("/cluster-7" + PATH);
    assertThat(o.getHeaders().get("Authorization")).isEqualTo("Bearer t0k3n");
    assertThat(o.getSubProtocols()).containsExactly("v5.channel.k8s.io", "v4.channel.k8s.io");
    WebSocketClientOptions client = MemberWebSockets.clientOptions(c);
    assertThat(client.isSsl()).isTrue();
    assertThat(client.isTrustAll()).isTrue();
  }

  @Test
  void basicCredentialsAndImpersonationWhenThereIsNoToken() {
    Config c =
        new ConfigBuilder(Config.empty())
            .withMasterUrl("https://10.0.0.1")
            .withUsername("admin")
            .withPassword("secret")
            .withImpersonateUsername("gleaner")
            .withImpersonateGroups("ops")
            .build();
    WebSocketConnectOptions o =
        MemberWebSockets.connectOptions(c, PATH, List.of("v4.channel.k8s.io"));
    assertThat(o.getPort()).isEqualTo(443);
    assertThat(o.getHeaders().get("Authorization")).isEqualTo("Basic YWRtaW46c2VjcmV0");
    assertThat(o.getHeaders().get("Impersonate-User")).isEqualTo("gleaner");
    assertThat(o.getHeaders().getAll("Impersonate-Group")).containsExactly("ops");
  }

  @Test
  void plainHttpNeedsNoTls() throws Exception {
    Config c = new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:8001").build();
    assertThat(MemberWebSockets.clientOptions(c).isSsl()).isFalse();
    WebSocketConnectOptions o =
        MemberWebSockets.connectOptions(c, PATH, List.of("v4.channel.k8s.io"));
    assertThat(o.isSsl()).isFalse();
    assertThat(o.getPort()).isEqualTo(8001);
    assertThat(o.getHeaders() == null || o.getHeaders().get("Authorization") == null).isTrue();
  }
}
