package io.gleaner.bench.system;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcStatTest {
  @Test
  void userPlusSystemTicksAfterTheCommandName() {
    // fields 14 (utime) 1234 and 15 (stime) 566 ticks: 18.0 s; the name holds ") (" and spaces
    String line =
        "4242 (java (a) b) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 566 7 8 20 0 42 0 123 456 789";
    assertThat(ProcStat.cpuSeconds(line)).hasValue(18.0);
  }

  @Test
  void somethingElseIsNoReading() {
    assertThat(ProcStat.cpuSeconds("no stat here")).isEmpty();
    assertThat(ProcStat.cpuSeconds("1 (x) S 1 2 3")).isEmpty();
    assertThat(ProcStat.cpuSeconds("1 (x) S 1 2 3 4 5 6 7 8 9 ten 11")).isEmpty();
  }

  @Test
  void thisProcessHasUsedSomeCpu() {
    assertThat(ProcStat.cpuSeconds(ProcessHandle.current().pid()).orElse(-1))
        .isGreaterThanOrEqualTo(0.0);
  }
}
