package io.gleaner.vk.translate;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Member pod names derived from the metadata pod UID, so that a restarted virtual-kubelet computes
 * the same name and a second create answers "already exists" instead of making a duplicate.
 */
public final class MemberNames {
  public static final String PREFIX = "gl-";

  private MemberNames() {}

  /** {@code "gl-" + first 16 hex digits of SHA-256(uid)}: 19 characters, a valid DNS-1123 label. */
  public static String forUid(String metaPodUid) {
    if (metaPodUid == null || metaPodUid.isBlank()) {
      throw new IllegalArgumentException(
          "metadata pod has no metadata.uid; cannot derive a member pod name");
    }
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(metaPodUid.getBytes(StandardCharsets.UTF_8));
      return PREFIX + HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
    }
  }
}
