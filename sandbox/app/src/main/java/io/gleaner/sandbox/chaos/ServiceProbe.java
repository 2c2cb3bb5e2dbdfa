package io.gleaner.sandbox.chaos;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;

/**
 * Asks a service replica over its HTTP port, as a kubelet's probes and Prometheus would: {@code
 * /readyz}, and whether it acts as leader ({@code gleaner_leader_acting} in {@code /metrics}).
 */
public final class ServiceProbe {
  private static final Duration TIMEOUT = Duration.ofMillis(1500);
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();

  /** Whether {@code /readyz} answers 200. */
  boolean ready(int port) {
    try {
      return http.send(request(port, "/readyz"), HttpResponse.BodyHandlers.discarding())
              .statusCode()
          == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Whether the replica reports itself acting as leader of any election. */
  boolean leading(int port) {
    return metrics(port).map(ServiceProbe::leadingIn).orElse(false);
  }

  /**
   * Whether the replica reports itself acting as leader: false when it says it does not or nothing
   * listens on its port (not started yet, or gone); empty when it did not answer in time or
   * answered with an error (a replica slow under load may well be leading).
   */
  public Optional<Boolean> acting(int port) {
    try {
      HttpResponse<String> r =
          http.send(
              request(port, "/metrics"),
              HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return r.statusCode() == 200 ? Optional.of(leadingIn(r.body())) : Optional.empty();
    } catch (HttpTimeoutException e) {
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of(false);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /**
   * Whether some replica may be leading, from their {@link #acting} answers: one says it does, or
   * one did not answer (unknown counts as leading, so a slow answer never excuses anything).
   */
  public static boolean anyMayLead(Collection<Optional<Boolean>> answers) {
    return answers.stream().anyMatch(a -> a.orElse(true));
  }

  /**
   * Offers a broker took so far ({@code gleaner_broker_offers_total} with outcome {@code accepted}
   * or {@code refreshed}); 0 when it does not answer.
   */
  long brokerOffers(int port) {
    return metrics(port).map(ServiceProbe::offersIn).orElse(0L);
  }

  /** The replica's {@code /metrics} exposition, empty when it does not answer 200. */
  private java.util.Optional<String> metrics(int port) {
    try {
      HttpResponse<String> r =
          http.send(
              request(port, "/metrics"),
              HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return r.statusCode() == 200 ? java.util.Optional.of(r.body()) : java.util.Optional.empty();
    } catch (IOException e) {
      return java.util.Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return java.util.Optional.empty();
    }
  }

  /** The accepted and refreshed offers in a Prometheus text exposition. */
  static long offersIn(String exposition) {
    long n = 0;
    for (String line : exposition.split("\n")) {
      if (line.startsWith("gleaner_broker_offers_total{")
          && (line.contains("outcome=\"accepted\"") || line.contains("outcome=\"refreshed\""))) {
        try {
          n += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
        } catch (NumberFormatException e) {
          // not a sample line
        }
      }
    }
    return n;
  }

  /** Whether a Prometheus text exposition has a {@code gleaner_leader_acting} sample of 1. */
  static boolean leadingIn(String exposition) {
    for (String line : exposition.split("\n")) {
      if (line.startsWith("gleaner_leader_acting")) {
        String value = line.substring(line.lastIndexOf(' ') + 1).trim();
        try {
          if (Double.parseDouble(value) == 1.0) {
            return true;
          }
        } catch (NumberFormatException e) {
          // not a sample line
        }
      }
    }
    return false;
  }

  private static HttpRequest request(int port, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(TIMEOUT)
        .build();
  }
}
