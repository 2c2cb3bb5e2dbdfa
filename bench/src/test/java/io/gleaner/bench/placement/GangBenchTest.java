package io.gleaner.bench.placement;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintStream;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GangBenchTest {
  @Test
  void aContestedMixOfGangsAndSinglesLeavesNoPartialGangAndNoOverCommittedNode() {
    Map<String, Object> r =
        GangBench.run(4, 10, 3000, 7, new PrintStream(PrintStream.nullOutputStream()));
    assertThat((long) r.get("partial_gangs")).isZero();
    assertThat((int) r.get("overcommitted_nodes")).isZero();
    // contested: some gangs placed, some refused
    assertThat((long) r.get("gangs_placed")).isPositive().isLessThan((long) r.get("gangs"));
    assertThat((double) r.get("gang_p99_us")).isPositive();
  }
}
