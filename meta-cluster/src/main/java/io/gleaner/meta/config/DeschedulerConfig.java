package io.gleaner.meta.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The descheduler service ({@code descheduler.*}).
 *
 * @param decisionWindow how long unschedulable online pods are gathered before one reclaim decision
 *     covers them all (a burst is handled together, not pod by pod)
 * @param dryRun decide and report, but evict nothing
 * @param priorityThreshold pending pods with at least this priority count as online work that may
 *     trigger a reclaim
 * @param hooks where reclaim events go: the ReclaimHooks gRPC server and HTTP webhooks
 */
public record DeschedulerConfig(
    Duration decisionWindow, boolean dryRun, int priorityThreshold, Hooks hooks)
    implements Validatable {
  public static final DeschedulerConfig DEFAULTS =
      new DeschedulerConfig(Duration.ofMillis(250), false, 0, Hooks.DEFAULTS);

  @Override
  public void validate(Problems p) {
    p.notNegative("decisionWindow", decisionWindow);
  }

  /**
   * {@code descheduler.hooks.*}.
   *
   * @param server the ReclaimHooks gRPC server (a stream of reclaim events)
   * @param webhooks HTTP webhooks by name; each event is POSTed as JSON, signed with HMAC-SHA256
   */
  public record Hooks(HookServer server, Map<String, Webhook> webhooks) {
    public static final Hooks DEFAULTS = new Hooks(HookServer.DEFAULTS, Map.of());

    public Hooks {
      webhooks = webhooks == null ? Map.of() : Map.copyOf(webhooks);
    }
  }

  /**
   * {@code descheduler.hooks.server.*}.
   *
   * @param enabled serve ReclaimHooks at all
   * @param host bind address
   * @param port bind port (0: any free port)
   * @param tls server TLS; plaintext unless both files are set; with {@code tls.clientCaFile},
   *     subscribers authenticate by client certificate (identity = its CN)
   * @param subscribers the identities that may watch, when subscribers authenticate
   * @param maxWatchersPerIdentity open Watch streams per identity (per caller address without
   *     authentication); one more is refused with RESOURCE_EXHAUSTED
   */
  public record HookServer(
      boolean enabled,
      String host,
      int port,
      ServerTls tls,
      List<String> subscribers,
      int maxWatchersPerIdentity)
      implements Validatable {
    public static final HookServer DEFAULTS =
        new HookServer(true, "0.0.0.0", 9091, ServerTls.NONE, List.of("reader"), 16);

    public HookServer {
      subscribers = subscribers == null ? List.of() : List.copyOf(subscribers);
    }

    /** With the default subscribers and watcher limit. */
    public HookServer(boolean enabled, String host, int port, ServerTls tls) {
      this(enabled, host, port, tls, List.of("reader"), 16);
    }

    @Override
    public void validate(Problems p) {
      p.notBlank("host", host);
      p.inRange("port", port, 0, 65535);
      p.inRange("maxWatchersPerIdentity", maxWatchersPerIdentity, 1, 10_000);
    }
  }

  /**
   * {@code descheduler.hooks.webhooks.<name>.*}.
   *
   * @param url where events are POSTed ({@code http} or {@code https})
   * @param secretFile file holding the HMAC signing key (the chart mounts it from a Secret); read
   *     at start
   * @param timeout per request
   * @param maxAttempts tries per event, the first included
   * @param clusters only events of these member clusters (empty: all)
   * @param sources only events of these capacity sources (empty: all)
   */
  public record Webhook(
      String url,
      String secretFile,
      Duration timeout,
      Integer maxAttempts,
      List<String> clusters,
      List<String> sources)
      implements Validatable {
    public Webhook {
      timeout = timeout == null ? Duration.ofSeconds(5) : timeout;
      maxAttempts = maxAttempts == null ? 4 : maxAttempts;
      clusters = clusters == null ? List.of() : List.copyOf(clusters);
      sources = sources == null ? List.of() : List.copyOf(sources);
    }

    @Override
    public void validate(Problems p) {
      if (url == null || url.isBlank()) {
        p.add("url", "must be set (http or https)");
      } else {
        String scheme;
        try {
          scheme = URI.create(url).getScheme();
        } catch (IllegalArgumentException e) {
          scheme = null;
        }
        p.check(
            "http".equals(scheme) || "https".equals(scheme), "url", url, "must be http or https");
      }
      p.notBlank("secretFile", secretFile);
      p.positive("timeout", timeout);
      p.inRange("maxAttempts", maxAttempts, 1, 20);
      for (String s : sources) {
        p.check(
            List.of("IDLE", "VOLCANO", "COLOCATION", "ELASTIC").contains(s.toUpperCase()),
            "sources",
            s,
            "must be one of IDLE, VOLCANO, COLOCATION, ELASTIC");
      }
    }
  }
}
