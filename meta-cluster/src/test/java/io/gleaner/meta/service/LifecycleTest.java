package io.gleaner.meta.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LifecycleTest {

  /** Records start/stop calls into a shared journal. */
  static final class Recorder extends AbstractLifecycle {
    final List<String> journal;
    final boolean failOnStart;
    int starts;
    int stops;

    Recorder(String name, List<String> journal, boolean failOnStart) {
      super(name);
      this.journal = journal;
      this.failOnStart = failOnStart;
    }

    @Override
    protected void doStart() throws Exception {
      starts++;
      journal.add("start " + name());
      if (failOnStart) {
        throw new java.io.IOException("port in use");
      }
    }

    @Override
    protected void doStop() {
      stops++;
      journal.add("stop " + name());
    }
  }

  @Test
  void walksTheStates() {
    Recorder r = new Recorder("a", new ArrayList<>(), false);
    assertThat(r.state()).isEqualTo(Lifecycle.State.NEW);
    r.start();
    assertThat(r.state()).isEqualTo(Lifecycle.State.RUNNING);
    assertThat(r.isRunning()).isTrue();
    r.stop();
    assertThat(r.state()).isEqualTo(Lifecycle.State.STOPPED);
  }

  @Test
  void startTwiceFailsFast() {
    Recorder r = new Recorder("a", new ArrayList<>(), false);
    r.start();
    assertThatThrownBy(r::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot start a: it is RUNNING");
    r.stop();
    assertThatThrownBy(r::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("STOPPED");
    assertThat(r.starts).isEqualTo(1);
  }

  @Test
  void stopIsIdempotentAndSkipsNeverStarted() {
    Recorder r = new Recorder("a", new ArrayList<>(), false);
    r.stop();
    assertThat(r.state()).isEqualTo(Lifecycle.State.STOPPED);
    assertThat(r.stops).isZero();

    Recorder s = new Recorder("b", new ArrayList<>(), false);
    s.start();
    s.stop();
    s.stop();
    assertThat(s.stops).isEqualTo(1);
  }

  @Test
  void failedStartIsFailedAndStopCleansUp() {
    Recorder r = new Recorder("db", new ArrayList<>(), true);
    assertThatThrownBy(r::start)
        .isInstanceOf(LifecycleException.class)
        .hasMessage("failed to start db: port in use");
    assertThat(r.state()).isEqualTo(Lifecycle.State.FAILED);
    r.stop();
    assertThat(r.stops).isEqualTo(1);
    assertThat(r.state()).isEqualTo(Lifecycle.State.STOPPED);
  }

  @Test
  void runnerStartsInOrderAndStopsInReverse() {
    List<String> journal = new ArrayList<>();
    ServiceRunner runner =
        new ServiceRunner("svc")
            .add(new Recorder("zk", journal, false))
            .add(new Recorder("election", journal, false))
            .add(new Recorder("admin", journal, false));
    runner.start();
    runner.stop();
    assertThat(journal)
        .containsExactly(
            "start zk", "start election", "start admin", "stop admin", "stop election", "stop zk");
  }

  @Test
  void runnerUnwindsWhenAComponentFailsToStart() throws Exception {
    List<String> journal = new ArrayList<>();
    Recorder third = new Recorder("never", journal, false);
    ServiceRunner runner =
        new ServiceRunner("svc")
            .add(new Recorder("zk", journal, false))
            .add(new Recorder("grpc", journal, true))
            .add(third);
    assertThatThrownBy(runner::start)
        .isInstanceOf(LifecycleException.class)
        .hasMessageContaining("svc: failed to start grpc: port in use");
    assertThat(journal).containsExactly("start zk", "start grpc", "stop grpc", "stop zk");
    assertThat(third.state()).isEqualTo(Lifecycle.State.NEW);
    assertThat(runner.state()).isEqualTo(Lifecycle.State.FAILED);
    assertThat(runner.awaitStopped(java.time.Duration.ofSeconds(1))).isTrue();
  }

  @Test
  void runnerClosesResourcesAndRejectsLateAdds() {
    List<String> journal = new ArrayList<>();
    ServiceRunner runner =
        new ServiceRunner("svc").addResource("client", () -> journal.add("closed"));
    runner.start();
    assertThatThrownBy(() -> runner.add(new Recorder("late", journal, false)))
        .isInstanceOf(IllegalStateException.class);
    runner.stop();
    assertThat(journal).containsExactly("closed");
  }

  @Test
  void healthCheckOfRunningComponent() {
    Recorder r = new Recorder("grpc", new ArrayList<>(), false);
    HealthCheck check = HealthCheck.running(r);
    assertThat(check.check()).isEqualTo(Health.down("grpc is NEW"));
    r.start();
    assertThat(check.check().isUp()).isTrue();
  }
}
