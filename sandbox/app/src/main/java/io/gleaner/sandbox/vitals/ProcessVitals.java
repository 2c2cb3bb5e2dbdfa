package io.gleaner.sandbox.vitals;

import java.util.OptionalDouble;

/**
 * One reading of a service process's resources, from the Micrometer JVM and process metrics every
 * service exposes on {@code /metrics}.
 *
 * @param atSeconds real seconds since the recording started
 * @param heapUsedBytes heap in use (all heap pools)
 * @param liveThreads live threads
 * @param openFiles open file descriptors; -1 where the platform does not report them
 */
public record ProcessVitals(
    double atSeconds, double heapUsedBytes, double liveThreads, double openFiles) {

  /**
   * Reads the vitals out of a Prometheus text exposition, or empty when it lacks the heap or thread
   * samples (a process that is not a Gleaner service, or one still starting).
   */
  public static java.util.Optional<ProcessVitals> parse(double atSeconds, String exposition) {
    double heap = 0;
    boolean sawHeap = false;
    OptionalDouble threads = OptionalDouble.empty();
    OptionalDouble files = OptionalDouble.empty();
    for (String line : exposition.split("\n")) {
      if (line.isEmpty() || line.charAt(0) == '#') {
        continue;
      }
      if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
        OptionalDouble v = value(line);
        if (v.isPresent()) {
          heap += v.getAsDouble();
          sawHeap = true;
        }
      } else if (line.startsWith("jvm_threads_live_threads")) {
        threads = value(line);
      } else if (line.startsWith("process_files_open_files")) {
        files = value(line);
      }
    }
    if (!sawHeap || threads.isEmpty()) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        new ProcessVitals(atSeconds, heap, threads.getAsDouble(), files.orElse(-1)));
  }

  private static OptionalDouble value(String line) {
    int space = line.lastIndexOf(' ');
    if (space < 0) {
      return OptionalDouble.empty();
    }
    try {
      return OptionalDouble.of(Double.parseDouble(line.substring(space + 1).trim()));
    } catch (NumberFormatException e) {
      return OptionalDouble.empty();
    }
  }
}
