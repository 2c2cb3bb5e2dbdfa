package io.gleaner.vk.kubelet;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.internal.SSLUtils;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.TrustOptions;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509KeyManager;

/**
 * Vert.x WebSocket settings for a member API server, from the member client's fabric8 {@link
 * Config}: the server address, its TLS trust (CA data or file, or trust-all when the kubeconfig
 * says so), the client certificate, and the bearer token (static, from a token provider, or from an
 * exec/auth plugin as fabric8 last resolved it) or basic credentials, plus impersonation headers.
 *
 * <p>Why not fabric8's own WebSocket builder: its Vert.x adapter registers its frame handlers only
 * after the upgrade future has been handed to another event-loop task, so a member that answers and
 * closes at once (a command that fails to start, a short command on a fast server) closes the
 * socket before anyone listens; the session then never completes. A Vert.x client connected from
 * the caller's own context gets the socket in the same task as the 101 answer and sets its handlers
 * before the next frame is read.
 */
final class MemberWebSockets {
  private MemberWebSockets() {}

  /**
   * Client options for the member: TLS from the config; frames as large as the API server sends.
   */
  static WebSocketClientOptions clientOptions(Config config) throws Exception {
    URI master = URI.create(config.getMasterUrl());
    WebSocketClientOptions o =
        new WebSocketClientOptions()
            .setConnectTimeout(10_000)
            .setMaxFrameSize(16 * 1024 * 1024)
            .setMaxMessageSize(64 * 1024 * 1024);
    if (!"https".equalsIgnoreCase(master.getScheme())) {
      return o;
    }
    o.setSsl(true).setVerifyHost(!config.isDisableHostnameVerification());
    if (config.isTrustCerts()) {
      o.setTrustAll(true);
    } else {
      TrustManager[] trust = SSLUtils.trustManagers(config);
      if (trust != null && trust.length > 0) {
        o.setTrustOptions(TrustOptions.wrap(trust[0]));
      }
    }
    KeyManager[] keys = SSLUtils.keyManagers(config);
    if (keys != null && keys.length > 0 && keys[0] instanceof X509KeyManager km) {
      o.setKeyCertOptions(KeyCertOptions.wrap(km));
    }
    return o;
  }

  /**
   * The upgrade request for {@code pathAndQuery} on the member, offering {@code protocols} in
   * order.
   */
  static WebSocketConnectOptions connectOptions(
      Config config, String pathAndQuery, List<String> protocols) {
    URI master = URI.create(config.getMasterUrl());
    boolean tls = "https".equalsIgnoreCase(master.getScheme());
    int port = master.getPort() > 0 ? master.getPort() : tls ? 443 : 80;
    String base = master.getRawPath() == null ? "" : master.getRawPath().replaceAll("/+$", "");
    WebSocketConnectOptions o =
        new WebSocketConnectOptions()
            .setHost(master.getHost())
            .setPort(port)
            .setSsl(tls)
            .setURI(base + pathAndQuery)
            .setSubProtocols(List.copyOf(protocols))
            .setTimeout(15_000);
    String token = token(config);
    if (token != null && !token.isBlank()) {
      o.addHeader("Authorization", "Bearer " + token);
    } else if (config.getUsername() != null && config.getPassword() != null) {
      o.addHeader(
          "Authorization",
          "Basic "
              + Base64.getEncoder()
                  .encodeToString(
                      (config.getUsername() + ":" + config.getPassword())
                          .getBytes(StandardCharsets.UTF_8)));
    }
    if (config.getImpersonateUsername() != null) {
      o.addHeader("Impersonate-User", config.getImpersonateUsername());
      if (config.getImpersonateGroups() != null) {
        for (String g : config.getImpersonateGroups()) {
          o.addHeader("Impersonate-Group", g);
        }
      }
    }
    return o;
  }

  private static String token(Config config) {
    if (config.getOauthTokenProvider() != null) {
      return config.getOauthTokenProvider().getToken();
    }
    if (config.getOauthToken() != null) {
      return config.getOauthToken();
    }
    return config.getAutoOAuthToken();
  }
}
