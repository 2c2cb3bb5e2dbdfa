package io.gleaner.vk.kubelet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gleaner.sim.apiserver.auth.ClusterCa;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client CA file is read as its rotations are: one PEM parser for both. */
class KubeletClientCaFileTest {
  @TempDir Path dir;

  @Test
  void aBundleGivesEveryCaAndBadFilesAreNamed() throws Exception {
    ClusterCa a = ClusterCa.create("a");
    ClusterCa b = ClusterCa.create("b");
    Path bundle = Files.writeString(dir.resolve("ca.crt"), a.certificatePem() + b.certificatePem());
    assertThat(KubeletAuth.readCertificates(bundle))
        .containsExactly(a.certificate(), b.certificate())
        .isEqualTo(KubeletAuth.certificates(Files.readString(bundle)));

    Path empty = Files.writeString(dir.resolve("empty.crt"), "");
    assertThatThrownBy(() -> KubeletAuth.readCertificates(empty))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(empty.toString())
        .hasMessageContaining("no PEM certificate");
    Path missing = dir.resolve("missing.crt");
    assertThatThrownBy(() -> KubeletAuth.readCertificates(missing))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(missing.toString());
  }
}
