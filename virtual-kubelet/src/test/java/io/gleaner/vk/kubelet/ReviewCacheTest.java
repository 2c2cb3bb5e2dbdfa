package io.gleaner.vk.kubelet;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ReviewCacheTest {
  private final AtomicLong nanos = new AtomicLong(1_000);
  private final ReviewCache<String, String> cache = new ReviewCache<>(3, nanos::get);

  private void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  @Test
  void anAnswerIsKeptForItsTtlOnly() {
    cache.put("a", "yes", Duration.ofMinutes(2));
    advance(Duration.ofSeconds(119));
    assertThat(cache.get("a")).isEqualTo("yes");
    advance(Duration.ofSeconds(1));
    assertThat(cache.get("a")).isNull();
    assertThat(cache.size()).isZero();
  }

  @Test
  void eachAnswerHasItsOwnTtl() {
    cache.put("allowed", "yes", Duration.ofMinutes(5));
    cache.put("denied", "no", Duration.ofSeconds(30));
    advance(Duration.ofSeconds(30));
    assertThat(cache.get("denied")).isNull();
    assertThat(cache.get("allowed")).isEqualTo("yes");
  }

  @Test
  void theLeastRecentlyUsedAnswerMakesRoomWhenFull() {
    cache.put("a", "1", Duration.ofMinutes(1));
    cache.put("b", "2", Duration.ofMinutes(1));
    cache.put("c", "3", Duration.ofMinutes(1));
    assertThat(cache.get("a")).isEqualTo("1");
    cache.put("d", "4", Duration.ofMinutes(1));
    assertThat(cache.size()).isEqualTo(3);
    assertThat(cache.get("b")).as("least recently used").isNull();
    assertThat(cache.get("a")).isEqualTo("1");
    assertThat(cache.get("c")).isEqualTo("3");
    assertThat(cache.get("d")).isEqualTo("4");
  }

  @Test
  void aZeroTtlIsNotKept() {
    cache.put("a", "1", Duration.ZERO);
    assertThat(cache.get("a")).isNull();
  }
}
