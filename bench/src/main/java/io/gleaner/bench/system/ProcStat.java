package io.gleaner.bench.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalDouble;

/**
 * CPU time a process has used, read from Linux's {@code /proc/<pid>/stat} as {@code top} reads it:
 * user plus system time (fields 14 and 15), in clock ticks of {@link #TICKS_PER_SECOND}.
 */
public final class ProcStat {
  /** {@code getconf CLK_TCK} on Linux (USER_HZ, fixed at 100 on every common architecture). */
  public static final long TICKS_PER_SECOND = 100;

  private ProcStat() {}

  /**
   * User plus system CPU seconds in one {@code /proc/<pid>/stat} line; empty when it is not one.
   * The command name (field 2) may hold spaces and parentheses, so fields are counted after its
   * last closing parenthesis.
   */
  public static OptionalDouble cpuSeconds(String statLine) {
    int close = statLine.lastIndexOf(')');
    if (close < 0) {
      return OptionalDouble.empty();
    }
    String[] f = statLine.substring(close + 1).trim().split("\\s+");
    // f[0] is field 3 (state): utime is field 14 -> f[11], stime field 15 -> f[12]
    if (f.length < 13) {
      return OptionalDouble.empty();
    }
    try {
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      return OptionalDouble.of(ticks / (double) TICKS_PER_SECOND);
    } catch (NumberFormatException e) {
      return OptionalDouble.empty();
    }
  }

  /** CPU seconds of process {@code pid} so far; empty when it is gone or not on Linux. */
  public static OptionalDouble cpuSeconds(long pid) {
    try {
      return cpuSeconds(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
    } catch (IOException | RuntimeException e) {
      return OptionalDouble.empty();
    }
  }
}
