package io.gleaner.vk.translate;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

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

  /**
   * The member pod a claim belongs to, when the claim is a generic ephemeral volume's: the
   * ephemeral volume controller names it {@code <pod name>-<volume name>}, and member pod names
   * have a fixed length.
   */
  public static Optional<String> podOfClaim(String claimName) {
    int length = PREFIX.length() + 16;
    if (claimName == null
        || !claimName.startsWith(PREFIX)
        || claimName.length() < length + 2
        || claimName.charAt(length) != '-') {
      return Optional.empty();
    }
    for (int i = PREFIX.length(); i < length; i++) {
      if (Character.digit(claimName.charAt(i), 16) < 0
          || Character.isUpperCase(claimName.charAt(i))) {
        return Optional.empty();
      }
    }
    return Optional.of(claimName.substring(0, length));
  }
}
