package io.gleaner.meta.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.config.CommonOptions;
import io.gleaner.meta.config.GleanerConfig;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class ServiceMainTest {

  @Command(name = "demo")
  static final class Demo implements Runnable {
    @Mixin CommonOptions common;
    final AtomicReference<GleanerConfig> loaded = new AtomicReference<>();
    boolean failStart;

    @Override
    public void run() {
      loaded.set(GleanerConfig.load(common));
      if (failStart) {
        throw new LifecycleException("failed to start grpc: port in use");
      }
    }
  }

  @Test
  void successIsZero() {
    Demo demo = new Demo();
    assertThat(ServiceMain.run(demo, "--instance", "east")).isZero();
    assertThat(demo.loaded.get().instance()).isEqualTo("east");
  }

  @Test
  void configErrorIsUsageExit() {
    assertThat(ServiceMain.run(new Demo(), "--speed", "-3")).isEqualTo(ServiceMain.EXIT_USAGE);
    assertThat(ServiceMain.run(new Demo(), "--no-such-flag")).isEqualTo(ServiceMain.EXIT_USAGE);
  }

  @Test
  void startFailureIsFailureExit() {
    Demo demo = new Demo();
    demo.failStart = true;
    assertThat(ServiceMain.run(demo)).isEqualTo(ServiceMain.EXIT_FAILURE);
  }

  @Test
  void candidateIdIsNeverBlank() {
    assertThat(ServiceMain.candidateId()).isNotBlank();
  }
}
