package io.gleaner.meta.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MetricsTest {

  @Test
  void registryCarriesCommonTagsAndJvmMeters() {
    try (Metrics metrics = Metrics.create("idle-detector", "east")) {
      metrics
          .registry()
          .counter("gleaner.idle.offers", Metrics.TAG_CLUSTER, "c1", Metrics.TAG_SOURCE, "idle")
          .increment();
      String text = metrics.registry().scrape();
      assertThat(text)
          .contains(
              "gleaner_idle_offers_total{cluster=\"c1\",instance=\"east\",service=\"idle-detector\",source=\"idle\"} 1.0");
      assertThat(text)
          .contains(
              "jvm_memory_used_bytes",
              "jvm_threads_live_threads",
              "process_uptime_seconds",
              "jvm_gc_");
    }
  }

  @Test
  void meterNamesFollowTheConvention() throws Exception {
    for (var field : Metrics.class.getFields()) {
      String value = (String) field.get(null);
      if (field.getName().startsWith("TAG_")) {
        assertThat(value).matches("[a-z]+");
      } else {
        assertThat(value).as(field.getName()).matches("gleaner\\.[a-z]+(\\.[a-z_]+)+");
      }
    }
  }
}
