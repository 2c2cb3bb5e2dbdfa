package io.gleaner.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.sandbox.install.HelmRelease;
import io.gleaner.sandbox.install.Installation;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The releases the sandbox installs for an installation: the default one as the README's commands
 * ({@link DeployingCommandsTest}), a second one beside it under names of its own.
 */
class InstallationReleasesTest {
  private static HelmRelease gleaner(Installation inst) {
    return Sandbox.gleanerRelease(
        inst,
        "127.0.0.1:2281",
        Sandbox.ZK_CA_SECRET,
        19090,
        Duration.ofSeconds(60),
        Duration.ofSeconds(120),
        Sandbox.extraArgs(
            SandboxOptions.defaults(Path.of("k")), Instant.now(), Duration.ZERO, null));
  }

  @Test
  void theDefaultInstallationIsTheSandboxsOwn() {
    assertThat(Sandbox.memberRelease(Installation.DEFAULT)).isEqualTo(Sandbox.memberRelease());
    HelmRelease release = gleaner(Installation.DEFAULT);
    assertThat(release.name()).isEqualTo(Sandbox.RELEASE);
    assertThat(release.namespace()).isEqualTo(Sandbox.NAMESPACE);
    assertThat(release.flatValues())
        .doesNotContainKeys("instance", "zookeeper.namespace", "virtualKubelet.nodeName");
  }

  @Test
  void anInstallationBesideItHasNamesOfItsOwnAndLeavesThePriorityClassesToTheFirst() {
    Installation b = Installation.beside("gleaner-b");
    HelmRelease member = Sandbox.memberRelease(b);
    assertThat(member.name()).isEqualTo("gleaner-member-gleaner-b");
    assertThat(member.namespace()).isEqualTo("gleaner-b-system");
    assertThat(member.flatValues())
        .isEqualTo(
            new java.util.TreeMap<>(
                Map.of("instance", "gleaner-b", "priorityClasses.create", false)));
    HelmRelease release = gleaner(b);
    assertThat(release.name()).isEqualTo("gleaner-b");
    assertThat(release.namespace()).isEqualTo("gleaner-b-system");
    assertThat(release.flatValues())
        .containsEntry("instance", "gleaner-b")
        .containsEntry("zookeeper.namespace", "gleaner-b")
        .containsEntry("virtualKubelet.nodeName", "gleaner-b");
  }
}
