package io.gleaner.cli.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.config.VirtualKubeletConfig;
import io.gleaner.meta.config.VirtualKubeletConfig.NamespaceMapping.Mode;
import org.junit.jupiter.api.Test;

class VirtualKubeletFactoryTest {
  @Test
  void everyNamespaceMappingModeRuns() {
    var single =
        VirtualKubeletFactory.namespaceMapping(
            new VirtualKubeletConfig.NamespaceMapping(Mode.SINGLE, "gleaner-", "shared"));
    assertThat(single.memberNamespace("team-a")).isEqualTo("shared");
    assertThat(single.memberObjectName("team-a", "conf")).isEqualTo("team-a.conf");
    var prefix =
        VirtualKubeletFactory.namespaceMapping(VirtualKubeletConfig.DEFAULTS.namespaceMapping());
    assertThat(prefix.memberNamespace("team-a")).isEqualTo("gleaner-team-a");
    var same =
        VirtualKubeletFactory.namespaceMapping(
            new VirtualKubeletConfig.NamespaceMapping(Mode.SAME, "gleaner-", "shared"));
    assertThat(same.memberNamespace("team-a")).isEqualTo("team-a");
  }
}
