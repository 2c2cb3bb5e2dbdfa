package io.gleaner.sandbox.install;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HelmReleaseTest {
  @Test
  void laterValuesMergeMapsAndReplaceTheRestAndFlattenToDottedPaths() {
    Map<String, Object> base = new LinkedHashMap<>();
    base.put("zookeeper.connect", "a:1");
    base.put("broker.config.offerTtl", "60s");
    base.put("broker.extraArgs", List.of("--x"));
    HelmRelease r =
        new HelmRelease("gleaner", "gleaner", "ns", HelmRelease.nested(base))
            .withValues(
                HelmRelease.nested(
                    Map.of("broker.replicas", 2, "broker.extraArgs", List.of("--y"))));
    assertThat(r.flatValues())
        .containsExactly(
            Map.entry("broker.config.offerTtl", "60s"),
            Map.entry("broker.extraArgs", List.of("--y")),
            Map.entry("broker.replicas", 2),
            Map.entry("zookeeper.connect", "a:1"));
  }
}
