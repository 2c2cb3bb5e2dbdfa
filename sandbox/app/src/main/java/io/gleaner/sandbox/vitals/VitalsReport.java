package io.gleaner.sandbox.vitals;

import java.util.List;

/**
 * Whether a process's resources stayed flat after warm-up: the span after warm-up is cut in thirds,
 * and the first third is compared with the last. Heap is the lowest sample of a third (what
 * survives collection, not the sawtooth of allocation between collections); threads and open files
 * are the highest.
 *
 * @param samples readings in all
 * @param samplesAfterWarmup readings the comparison rests on
 * @param heapFloorFirstMb lowest heap in use in the first third after warm-up, MiB
 * @param heapFloorLastMb the same in the last third
 * @param threadsFirst most live threads in the first third
 * @param threadsLast most live threads in the last third
 * @param openFilesFirst most open file descriptors in the first third (-1: not reported)
 * @param openFilesLast the same in the last third
 */
public record VitalsReport(
    int samples,
    int samplesAfterWarmup,
    double heapFloorFirstMb,
    double heapFloorLastMb,
    double threadsFirst,
    double threadsLast,
    double openFilesFirst,
    double openFilesLast) {

  private static final double MIB = 1024.0 * 1024.0;

  /**
   * The report of one process's readings, in time order.
   *
   * @param warmupSeconds readings before this many seconds are left out
   * @return the report; with fewer than three readings after warm-up every figure is -1
   */
  public static VitalsReport of(List<ProcessVitals> readings, double warmupSeconds) {
    List<ProcessVitals> after =
        readings.stream().filter(r -> r.atSeconds() >= warmupSeconds).toList();
    if (after.size() < 3) {
      return new VitalsReport(readings.size(), after.size(), -1, -1, -1, -1, -1, -1);
    }
    double from = after.get(0).atSeconds();
    double span = after.get(after.size() - 1).atSeconds() - from;
    List<ProcessVitals> first =
        after.stream().filter(r -> r.atSeconds() <= from + span / 3).toList();
    List<ProcessVitals> last =
        after.stream().filter(r -> r.atSeconds() >= from + 2 * span / 3).toList();
    return new VitalsReport(
        readings.size(),
        after.size(),
        round(first.stream().mapToDouble(ProcessVitals::heapUsedBytes).min().orElse(-MIB) / MIB),
        round(last.stream().mapToDouble(ProcessVitals::heapUsedBytes).min().orElse(-MIB) / MIB),
        first.stream().mapToDouble(ProcessVitals::liveThreads).max().orElse(-1),
        last.stream().mapToDouble(ProcessVitals::liveThreads).max().orElse(-1),
        first.stream().mapToDouble(ProcessVitals::openFiles).max().orElse(-1),
        last.stream().mapToDouble(ProcessVitals::openFiles).max().orElse(-1));
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }
}
