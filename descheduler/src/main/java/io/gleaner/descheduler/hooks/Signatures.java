package io.gleaner.descheduler.hooks;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The webhook signature, over a timestamp and the body so that a captured delivery cannot be
 * replayed later: {@code X-Gleaner-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw
 * body>" with the hook's secret>}. A receiver recomputes the HMAC over the bytes it received,
 * compares in constant time, rejects a timestamp further than its tolerance from its own clock
 * (five minutes by default, {@link #verify}), and may keep the {@code X-Gleaner-Delivery} ids it
 * saw within that tolerance to reject repeats.
 */
public final class Signatures {
  public static final String HEADER = "X-Gleaner-Signature";

  /** How far a delivery's timestamp may be from the receiver's clock by default. */
  public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

  private Signatures() {}

  /** The header value for {@code body} sent at {@code at} (wall-clock time). */
  public static String sign(String secret, byte[] body, Instant at) {
    long t = at.getEpochSecond();
    return "t=" + t + ",v1=" + hmac(secret, t, body);
  }

  /**
   * Whether {@code header} signs {@code body} with {@code secret} and its timestamp is within
   * {@code tolerance} of {@code now}.
   */
  public static boolean verify(
      String secret, byte[] body, String header, Instant now, Duration tolerance) {
    if (header == null) {
      return false;
    }
    Long t = null;
    String v1 = null;
    for (String part : header.trim().split(",")) {
      int eq = part.indexOf('=');
      if (eq < 0) {
        return false;
      }
      String k = part.substring(0, eq).trim();
      String v = part.substring(eq + 1).trim();
      if (k.equals("t")) {
        try {
          t = Long.parseLong(v);
        } catch (NumberFormatException e) {
          return false;
        }
      } else if (k.equals("v1")) {
        v1 = v;
      }
    }
    if (t == null || v1 == null) {
      return false;
    }
    if (Duration.between(Instant.ofEpochSecond(t), now).abs().compareTo(tolerance) > 0) {
      return false;
    }
    return MessageDigest.isEqual(
        hmac(secret, t, body).getBytes(StandardCharsets.US_ASCII),
        v1.getBytes(StandardCharsets.US_ASCII));
  }

  private static String hmac(String secret, long t, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      mac.update((t + ".").getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(mac.doFinal(body));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
