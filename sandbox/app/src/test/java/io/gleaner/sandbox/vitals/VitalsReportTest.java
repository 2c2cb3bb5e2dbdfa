package io.gleaner.sandbox.vitals;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class VitalsReportTest {
  private static final double MIB = 1024 * 1024;

  @Test
  void readsHeapThreadsAndFilesFromAnExposition() {
    String text =
        """
        # HELP jvm_memory_used_bytes The amount of used memory
        # TYPE jvm_memory_used_bytes gauge
        jvm_memory_used_bytes{area="heap",id="G1 Eden Space",} 1.048576E7
        jvm_memory_used_bytes{area="heap",id="G1 Old Gen",} 2.097152E7
        jvm_memory_used_bytes{area="nonheap",id="Metaspace",} 9.9E7
        jvm_threads_live_threads 42.0
        process_files_open_files 117.0
        """;

    ProcessVitals v = ProcessVitals.parse(3, text).orElseThrow();

    assertThat(v.heapUsedBytes()).isEqualTo(30 * MIB);
    assertThat(v.liveThreads()).isEqualTo(42);
    assertThat(v.openFiles()).isEqualTo(117);
    assertThat(v.atSeconds()).isEqualTo(3);
  }

  @Test
  void anExpositionWithoutJvmMetricsIsNoReading() {
    assertThat(ProcessVitals.parse(0, "gleaner_leader_acting 1.0\n")).isEmpty();
  }

  @Test
  void openFilesAreMinusOneWhereNotReported() {
    String text =
        "jvm_memory_used_bytes{area=\"heap\",id=\"x\",} 1.0\njvm_threads_live_threads 3\n";

    assertThat(ProcessVitals.parse(0, text).orElseThrow().openFiles()).isEqualTo(-1);
  }

  @Test
  void comparesTheFirstAndLastThirdAfterWarmup() {
    List<ProcessVitals> readings = new ArrayList<>();
    // warm-up (t < 30): a large heap and many threads that must not count
    readings.add(new ProcessVitals(0, 900 * MIB, 90, 900));
    readings.add(new ProcessVitals(20, 800 * MIB, 80, 800));
    // first third after warm-up: t 30..60
    readings.add(new ProcessVitals(30, 120 * MIB, 40, 100));
    readings.add(new ProcessVitals(45, 100 * MIB, 41, 101));
    readings.add(new ProcessVitals(60, 150 * MIB, 40, 100));
    // middle: ignored
    readings.add(new ProcessVitals(75, 10 * MIB, 99, 999));
    // last third: t 90..120
    readings.add(new ProcessVitals(90, 130 * MIB, 42, 103));
    readings.add(new ProcessVitals(105, 110 * MIB, 40, 100));
    readings.add(new ProcessVitals(120, 160 * MIB, 40, 100));

    VitalsReport r = VitalsReport.of(readings, 30);

    assertThat(r.samples()).isEqualTo(9);
    assertThat(r.samplesAfterWarmup()).isEqualTo(7);
    assertThat(r.heapFloorFirstMb()).isEqualTo(100.0);
    assertThat(r.heapFloorLastMb()).isEqualTo(110.0);
    assertThat(r.threadsFirst()).isEqualTo(41);
    assertThat(r.threadsLast()).isEqualTo(42);
    assertThat(r.openFilesFirst()).isEqualTo(101);
    assertThat(r.openFilesLast()).isEqualTo(103);
  }

  @Test
  void tooFewReadingsAfterWarmupReportNothing() {
    VitalsReport r =
        VitalsReport.of(
            List.of(new ProcessVitals(0, MIB, 1, 1), new ProcessVitals(40, MIB, 1, 1)), 30);

    assertThat(r.samplesAfterWarmup()).isEqualTo(1);
    assertThat(r.heapFloorFirstMb()).isEqualTo(-1);
    assertThat(r.threadsLast()).isEqualTo(-1);
  }
}
