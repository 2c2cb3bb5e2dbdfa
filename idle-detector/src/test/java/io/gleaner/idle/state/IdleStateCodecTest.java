package io.gleaner.idle.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdleStateCodecTest {
  private static final Instant A = Instant.parse("2024-01-01T00:05:00Z");
  private static final Instant B = Instant.parse("2024-01-01T00:15:00.123Z");

  @Test
  void everyStateRoundTrips() {
    for (IdleState s :
        List.of(
            IdleState.Active.INSTANCE,
            new IdleState.IdleObserved(A),
            new IdleState.Lent(A, B),
            new IdleState.Reclaimed(A, B))) {
      assertThat(IdleStateCodec.decode(IdleStateCodec.encode(s))).isEqualTo(s);
    }
  }

  @Test
  void durableFormIsReadableJson() {
    String json =
        new String(IdleStateCodec.encode(new IdleState.IdleObserved(A)), StandardCharsets.UTF_8);
    assertThat(json).isEqualTo("{\"state\":\"IDLE_OBSERVED\",\"since\":\"2024-01-01T00:05:00Z\"}");
  }

  @Test
  void malformedDataNamesTheProblem() {
    assertThatThrownBy(() -> decode("not json")).hasMessageContaining("not a JSON object");
    assertThatThrownBy(() -> decode("{\"state\":\"SLEEPY\"}"))
        .hasMessageContaining("unknown state \"SLEEPY\"");
    assertThatThrownBy(
            () -> decode("{\"state\":\"LENT\",\"idleSince\":\"yesterday\",\"lentAt\":\"x\"}"))
        .hasMessageContaining("idleSince")
        .hasMessageContaining("yesterday");
    assertThatThrownBy(() -> decode("{\"state\":\"IDLE_OBSERVED\"}"))
        .hasMessageContaining("\"since\"");
  }

  private static IdleState decode(String s) {
    return IdleStateCodec.decode(s.getBytes(StandardCharsets.UTF_8));
  }
}
