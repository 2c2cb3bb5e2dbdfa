package io.gleaner.broker.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.broker.model.NoFit;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.meta.resources.Resources;
import java.util.List;
import org.junit.jupiter.api.Test;

class RefusedShapesTest {
  private static NoFit why(String message) {
    return new NoFit(message, List.of(), Resources.ZERO);
  }

  @Test
  void dominanceIsEveryDimensionAtLeastAndAMissingEntryIsZero() {
    assertThat(RefusedShapes.dominates(new long[] {2, 2}, new long[] {1, 2})).isTrue();
    assertThat(RefusedShapes.dominates(new long[] {2, 1}, new long[] {1, 2})).isFalse();
    assertThat(RefusedShapes.dominates(new long[] {2, 2, 0}, new long[] {2, 2})).isTrue();
    assertThat(RefusedShapes.dominates(new long[] {2, 2}, new long[] {2, 2, 1})).isFalse();
  }

  @Test
  void aLargerShapeOfTheSameClassGetsTheSmallerOnesAnswer() {
    RefusedShapes r = new RefusedShapes();
    NoFit small = why("small");
    r.remember(WorkloadClass.NEAR_LINE, new long[] {4, 4, 1, 0}, 4, small);
    assertThat(r.find(WorkloadClass.NEAR_LINE, new long[] {5, 4, 1, 0})).isSameAs(small);
    assertThat(r.find(WorkloadClass.NEAR_LINE, new long[] {3, 9, 1, 0})).isNull();
    assertThat(r.find(WorkloadClass.OFFLINE, new long[] {5, 4, 1, 0})).isNull();
    r.clear();
    assertThat(r.find(WorkloadClass.NEAR_LINE, new long[] {5, 4, 1, 0})).isNull();
  }

  @Test
  void aSmallerShapeReplacesTheLargerOnesItMakesRedundant() {
    RefusedShapes r = new RefusedShapes();
    r.remember(WorkloadClass.NEAR_LINE, new long[] {8, 1}, 2, why("8"));
    r.remember(WorkloadClass.NEAR_LINE, new long[] {1, 8}, 2, why("other"));
    NoFit four = why("4");
    r.remember(WorkloadClass.NEAR_LINE, new long[] {4, 1}, 2, four);
    assertThat(r.size(WorkloadClass.NEAR_LINE)).isEqualTo(2);
    assertThat(r.find(WorkloadClass.NEAR_LINE, new long[] {9, 1})).isSameAs(four);
  }

  @Test
  void theDemandIsCopiedNotKept() {
    RefusedShapes r = new RefusedShapes();
    long[] demand = {4, 4};
    r.remember(WorkloadClass.NEAR_LINE, demand, 2, why("4"));
    demand[0] = 100;
    assertThat(r.find(WorkloadClass.NEAR_LINE, new long[] {4, 4})).isNotNull();
  }

  @Test
  void whenFullTheOldestShapesAreReplacedInTurn() {
    RefusedShapes r = new RefusedShapes();
    int n = RefusedShapes.CAPACITY;
    // incomparable shapes: i in one dimension, n - i in the other
    for (int i = 0; i < n; i++) {
      r.remember(WorkloadClass.OFFLINE, new long[] {i + 1, n - i}, 2, why("s" + i));
    }
    assertThat(r.size(WorkloadClass.OFFLINE)).isEqualTo(n);
    r.remember(WorkloadClass.OFFLINE, new long[] {n + 5, 0}, 2, why("new"));
    assertThat(r.size(WorkloadClass.OFFLINE)).isEqualTo(n);
    assertThat(r.find(WorkloadClass.OFFLINE, new long[] {1, n})).isNull();
    assertThat(r.find(WorkloadClass.OFFLINE, new long[] {2, n - 1}).message()).isEqualTo("s1");
    assertThat(r.find(WorkloadClass.OFFLINE, new long[] {n + 5, 0}).message()).isEqualTo("new");
  }
}
