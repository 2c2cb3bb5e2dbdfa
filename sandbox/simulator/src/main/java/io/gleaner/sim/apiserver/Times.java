package io.gleaner.sim.apiserver;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/** Kubernetes timestamps: RFC 3339 in UTC with second precision. */
public final class Times {
  private Times() {}

  public static String format(Instant instant) {
    return DateTimeFormatter.ISO_INSTANT.format(instant.truncatedTo(ChronoUnit.SECONDS));
  }

  /** Micro-time ({@code metav1.MicroTime}) as used by Events and Leases. */
  public static String formatMicro(Instant instant) {
    return DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
        .withZone(java.time.ZoneOffset.UTC)
        .format(instant.truncatedTo(ChronoUnit.MICROS));
  }

  /** Parses a timestamp; null or empty gives null. */
  public static Instant parse(String text) {
    if (text == null || text.isEmpty()) {
      return null;
    }
    return Instant.parse(text);
  }
}
