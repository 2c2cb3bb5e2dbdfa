package io.gleaner.descheduler.hooks;

import io.gleaner.api.v1.ReclaimFilter;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.meta.config.ConfigException;
import io.gleaner.meta.config.DeschedulerConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One configured HTTP webhook.
 *
 * @param secret the HMAC key; must not be empty
 * @param filter which events it wants (empty lists = all)
 * @param maxAttempts tries per event, including the first (Resilience4j retry with exponential
 *     backoff)
 * @param queueCapacity events waiting for delivery beyond which new ones are dropped (and counted)
 */
public record Webhook(
    String name,
    URI url,
    String secret,
    ReclaimFilter filter,
    Duration timeout,
    int maxAttempts,
    Duration initialBackoff,
    int queueCapacity) {
  public Webhook {
    Objects.requireNonNull(name, "webhook name");
    Objects.requireNonNull(url, "webhook " + name + ": url");
    if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
      throw new IllegalArgumentException(
          "webhook " + name + ": url must be http or https, got \"" + url + "\"");
    }
    if (secret == null || secret.isEmpty()) {
      throw new IllegalArgumentException("webhook " + name + ": secret must not be empty");
    }
    filter = filter == null ? ReclaimFilter.getDefaultInstance() : filter;
    timeout = timeout == null ? Duration.ofSeconds(5) : timeout;
    if (maxAttempts < 1) {
      throw new IllegalArgumentException(
          "webhook " + name + ": maxAttempts must be >= 1, got " + maxAttempts);
    }
    initialBackoff = initialBackoff == null ? Duration.ofMillis(200) : initialBackoff;
    if (queueCapacity < 1) {
      throw new IllegalArgumentException(
          "webhook " + name + ": queueCapacity must be >= 1, got " + queueCapacity);
    }
  }

  /**
   * The webhook configured under {@code descheduler.hooks.webhooks.<name>}; its signing key is read
   * from {@code secretFile} now (trailing line breaks dropped).
   *
   * @throws ConfigException naming the key when the file cannot be read or is empty
   */
  public static Webhook fromConfig(String name, DeschedulerConfig.Webhook c) {
    String key = "descheduler.hooks.webhooks." + name + ".secretFile";
    String secret;
    try {
      secret = Files.readString(Path.of(c.secretFile())).replaceAll("[\\r\\n]+$", "");
    } catch (IOException | RuntimeException e) {
      throw new ConfigException(
          List.of(key + ": cannot read the signing key from " + c.secretFile() + ": " + e));
    }
    if (secret.isEmpty()) {
      throw new ConfigException(List.of(key + ": " + c.secretFile() + " is empty"));
    }
    ReclaimFilter.Builder filter = ReclaimFilter.newBuilder().addAllClusters(c.clusters());
    c.sources().forEach(src -> filter.addSources(SourceKind.valueOf(src.toUpperCase())));
    return new Webhook(
        name,
        URI.create(c.url()),
        secret,
        filter.build(),
        c.timeout(),
        c.maxAttempts(),
        null,
        1000);
  }

  public static Webhook of(String name, String url, String secret) {
    return new Webhook(name, URI.create(url), secret, null, null, 4, null, 1000);
  }
}
