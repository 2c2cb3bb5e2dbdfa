package io.gleaner.sandbox.install;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServiceProcessesTest {
  @Test
  void pathsUnderAMountMoveUnderTheReplicasDirectoryOnceInArgsAndConfigFiles() {
    var paths =
        ServiceProcesses.relocate(
            List.of("/etc/gleaner", "/etc/gleaner/webhooks/pager"), Path.of("/w/descheduler-0"));
    assertThat(paths.apply("--config=/etc/gleaner/config.yaml"))
        .isEqualTo("--config=/w/descheduler-0/etc/gleaner/config.yaml");
    assertThat(paths.apply("      secretFile: /etc/gleaner/webhooks/pager/key\n"))
        .isEqualTo("      secretFile: /w/descheduler-0/etc/gleaner/webhooks/pager/key\n");
    assertThat(paths.apply("secretFile: \"/etc/gleaner/webhooks/pager/key\""))
        .isEqualTo("secretFile: \"/w/descheduler-0/etc/gleaner/webhooks/pager/key\"");
    // not a path under a mount: another directory, a URL's path, the mount's name as a prefix
    assertThat(paths.apply("url: https://pager.example.com/etc/gleaner/x"))
        .isEqualTo("url: https://pager.example.com/etc/gleaner/x");
    assertThat(paths.apply("/etc/gleaner-other/x /opt/etc/gleaner/x"))
        .isEqualTo("/etc/gleaner-other/x /opt/etc/gleaner/x");
  }
}
