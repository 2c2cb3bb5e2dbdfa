package io.gleaner.descheduler.hooks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SignaturesTest {
  static final Instant AT = Instant.parse("2026-12-05T21:00:00Z");
  static final byte[] BODY = "{\"id\":\"r1\"}".getBytes(StandardCharsets.UTF_8);
  static final Duration TOL = Signatures.DEFAULT_TOLERANCE;

  @Test
  void theSignatureCoversTheTimestampAndTheBody() {
    String h = Signatures.sign("k", BODY, AT);
    assertThat(h).startsWith("t=" + AT.getEpochSecond() + ",v1=");
    assertThat(Signatures.verify("k", BODY, h, AT.plusSeconds(10), TOL)).isTrue();
    assertThat(Signatures.verify("other", BODY, h, AT, TOL)).isFalse();
    assertThat(Signatures.verify("k", "{\"id\":\"r2\"}".getBytes(), h, AT, TOL)).isFalse();
    // the timestamp cannot be moved without breaking the HMAC
    String moved =
        h.replace("t=" + AT.getEpochSecond(), "t=" + AT.plusSeconds(3600).getEpochSecond());
    assertThat(Signatures.verify("k", BODY, moved, AT.plusSeconds(3600), TOL)).isFalse();
  }

  @Test
  void anOldDeliveryReplayedLaterIsRejected() {
    String h = Signatures.sign("k", BODY, AT);
    assertThat(Signatures.verify("k", BODY, h, AT.plus(Duration.ofMinutes(6)), TOL)).isFalse();
    assertThat(Signatures.verify("k", BODY, h, AT.minus(Duration.ofMinutes(6)), TOL)).isFalse();
  }

  @Test
  void malformedHeadersAreRejected() {
    assertThat(Signatures.verify("k", BODY, null, AT, TOL)).isFalse();
    assertThat(Signatures.verify("k", BODY, "sha256=abc", AT, TOL)).isFalse();
    assertThat(Signatures.verify("k", BODY, "t=x,v1=abc", AT, TOL)).isFalse();
    assertThat(Signatures.verify("k", BODY, "t=1", AT, TOL)).isFalse();
  }
}
