package io.gleaner.idle.elastic;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.idle.elastic.Placeholders.Diff;
import io.gleaner.idle.elastic.Placeholders.Existing;
import io.gleaner.meta.resources.Resources;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlaceholdersTest {
  static final Resources FOUR = Resources.of("cpu", "4", "memory", "4Gi");
  static final Resources EIGHT = Resources.of("cpu", "8", "memory", "4Gi");

  @Test
  void eachInstallationKnowsItsOwnPlaceholdersByName() {
    String mine = Placeholders.name("gleaner", 1700000000000L, 3);
    String theirs = Placeholders.name("gleaner-b", 1700000000000L, 3);

    assertThat(Placeholders.isOwn(mine, "gleaner")).isTrue();
    assertThat(Placeholders.isOwn(theirs, "gleaner")).isFalse();
    assertThat(Placeholders.isOwn(theirs, "gleaner-b")).isTrue();
    assertThat(Placeholders.isOwn(mine, "gleaner-b")).isFalse();
    assertThat(mine).isNotEqualTo(theirs).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  }

  @Test
  void missingShapesAreCreated() {
    Diff d = Placeholders.diff(List.of(), List.of(FOUR, EIGHT));
    assertThat(d.create()).containsExactly(FOUR, EIGHT);
    assertThat(d.delete()).isEmpty();
  }

  @Test
  void pendingOnesThatMatchStayRegardlessOfThePodsCount() {
    Diff d =
        Placeholders.diff(
            List.of(new Existing("p1", FOUR.with(Resources.PODS, 1), false)), List.of(FOUR));
    assertThat(d.isEmpty()).isTrue();
  }

  @Test
  void aBoundPlaceholderIsDeletedEvenWhenStillWanted() {
    Diff d = Placeholders.diff(List.of(new Existing("p1", FOUR, true)), List.of(FOUR));
    assertThat(d.delete()).containsExactly("p1");
    assertThat(d.create()).containsExactly(FOUR);
  }

  @Test
  void unwantedPendingOnesAreDeletedAndDuplicatesCountOnceEach() {
    Diff d =
        Placeholders.diff(
            List.of(
                new Existing("p1", FOUR, false),
                new Existing("p2", FOUR, false),
                new Existing("p3", EIGHT, false)),
            List.of(FOUR));
    assertThat(d.delete()).containsExactly("p2", "p3");
    assertThat(d.create()).isEmpty();
  }

  @Test
  void nothingWantedDeletesEverything() {
    Diff d =
        Placeholders.diff(
            List.of(new Existing("p1", FOUR, false), new Existing("p2", EIGHT, true)), List.of());
    assertThat(d.delete()).containsExactly("p1", "p2");
  }
}
