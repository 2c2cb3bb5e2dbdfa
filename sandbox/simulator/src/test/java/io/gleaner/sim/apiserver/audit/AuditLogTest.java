package io.gleaner.sim.apiserver.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuditLogTest {
  static AuditEvent event(String verb, String name) {
    return new AuditEvent(
        0,
        AuditEvent.RESPONSE_COMPLETE,
        Instant.EPOCH,
        Instant.EPOCH,
        "u",
        List.of(),
        "",
        verb,
        List.of(),
        "/api/v1/namespaces/a/pods/" + name,
        "",
        "v1",
        "pods",
        "",
        "a",
        name,
        200,
        "",
        "");
  }

  @Test
  void keepsTheNewestEventsAndTellsAReaderWhatItMissed() {
    AuditLog log = new AuditLog(3);
    for (int i = 1; i <= 5; i++) {
      log.record(event("get", "p" + i));
    }
    assertThat(log.events()).extracting(AuditEvent::seq).containsExactly(3L, 4L, 5L);
    assertThat(log.dropped()).isEqualTo(2);

    AuditLog.Page fromStart = log.read(0, 10);
    assertThat(fromStart.missed()).isEqualTo(2);
    assertThat(fromStart.events()).extracting(AuditEvent::name).containsExactly("p3", "p4", "p5");
    assertThat(fromStart.last()).isEqualTo(5);

    AuditLog.Page paged = log.read(3, 1);
    assertThat(paged.missed()).isZero();
    assertThat(paged.events()).extracting(AuditEvent::seq).containsExactly(4L);
    assertThat(log.read(paged.last(), 10).events()).extracting(AuditEvent::seq).containsExactly(5L);

    AuditLog.Page none = log.read(5, 10);
    assertThat(none.events()).isEmpty();
    assertThat(none.last()).isEqualTo(5);
    assertThat(none.missed()).isZero();
  }
}
