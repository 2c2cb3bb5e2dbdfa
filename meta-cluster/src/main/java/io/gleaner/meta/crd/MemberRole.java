package io.gleaner.meta.crd;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What a member cluster is used for; decides which capacity sources watch it. */
public enum MemberRole {
  @JsonProperty("online")
  ONLINE,
  @JsonProperty("training")
  TRAINING,
  @JsonProperty("colocation")
  COLOCATION,
  @JsonProperty("elastic")
  ELASTIC;

  /** The lower-case form used in YAML ({@code online}, {@code training}, ...). */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses the wire form, case-insensitively. */
  public static Optional<MemberRole> fromWireName(String value) {
    return Arrays.stream(values()).filter(r -> r.wireName().equalsIgnoreCase(value)).findFirst();
  }
}
