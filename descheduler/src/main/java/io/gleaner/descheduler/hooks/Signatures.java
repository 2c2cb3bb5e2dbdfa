package io.gleaner.descheduler.hooks;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The webhook signature: {@code X-Gleaner-Signature: sha256=<hex HMAC-SHA256 of the raw body with
 * the hook's secret>}. Receivers recompute it over the bytes they received and compare in constant
 * time ({@link #verify}).
 */
public final class Signatures {
  public static final String HEADER = "X-Gleaner-Signature";
  private static final String PREFIX = "sha256=";

  private Signatures() {}

  public static String sign(String secret, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return PREFIX + HexFormat.of().formatHex(mac.doFinal(body));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  public static boolean verify(String secret, byte[] body, String header) {
    if (header == null) {
      return false;
    }
    return MessageDigest.isEqual(
        sign(secret, body).getBytes(StandardCharsets.US_ASCII),
        header.trim().getBytes(StandardCharsets.US_ASCII));
  }
}
