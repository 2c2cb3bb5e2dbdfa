package io.gleaner.meta.coord;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Behaviour every {@link StateStore} shares; run against ZooKeeper and the in-memory store. */
abstract class StateStoreContract {

  protected abstract StateStore store();

  static byte[] b(String s) {
    return s.getBytes(UTF_8);
  }

  static String s(byte[] b) {
    return new String(b, UTF_8);
  }

  @Test
  void createReadUpdateDelete() {
    StateStore st = store();
    assertThat(st.get("/a/b")).isEmpty();
    assertThat(st.compareAndSet("/a/b", StateStore.ABSENT, b("one")))
        .isEqualTo(new CasResult.Ok(0));
    assertThat(st.get("/a/b"))
        .hasValueSatisfying(
            v -> {
              assertThat(s(v.data())).isEqualTo("one");
              assertThat(v.version()).isZero();
            });
    assertThat(st.get("/a")).isPresent(); // parents are created
    assertThat(st.compareAndSet("/a/b", 0, b("two"))).isEqualTo(new CasResult.Ok(1));
    assertThat(s(st.get("/a/b").orElseThrow().data())).isEqualTo("two");
    assertThat(st.delete("/a/b", 1)).isEqualTo(new CasResult.Ok(StateStore.ABSENT));
    assertThat(st.get("/a/b")).isEmpty();
  }

  @Test
  void casConflictsAreTyped() {
    StateStore st = store();
    st.compareAndSet("/c", StateStore.ABSENT, b("x"));
    st.compareAndSet("/c", 0, b("y"));
    assertThat(st.compareAndSet("/c", StateStore.ABSENT, b("z")))
        .isEqualTo(new CasResult.Conflict(1));
    assertThat(st.compareAndSet("/c", 0, b("z"))).isEqualTo(new CasResult.Conflict(1));
    assertThat(st.compareAndSet("/missing", 3, b("z"))).isEqualTo(new CasResult.NotFound());
    assertThat(st.delete("/c", 0)).isEqualTo(new CasResult.Conflict(1));
    assertThat(st.delete("/missing", 0)).isEqualTo(new CasResult.NotFound());
    assertThat(s(st.get("/c").orElseThrow().data())).isEqualTo("y");
    assertThat(new CasResult.Conflict(1).outcome()).isEqualTo("conflict");
  }

  @Test
  void childrenAreSortedNamesAndEmptyForMissing() {
    StateStore st = store();
    st.compareAndSet("/nodes/c2/n1", StateStore.ABSENT, b("1"));
    st.compareAndSet("/nodes/c1/n2", StateStore.ABSENT, b("2"));
    st.compareAndSet("/nodes/c1/n1", StateStore.ABSENT, b("3"));
    assertThat(st.children("/nodes")).containsExactly("c1", "c2");
    assertThat(st.children("/nodes/c1")).containsExactly("n1", "n2");
    assertThat(st.children("/nope")).isEmpty();
    assertThatThrownBy(() -> st.delete("/nodes/c1", 0))
        .isInstanceOf(CoordinationException.class)
        .hasMessageContaining("children");
    st.deleteRecursively("/nodes/c1");
    assertThat(st.children("/nodes")).containsExactly("c2");
    st.deleteRecursively("/nodes/none");
  }

  @Test
  void transactionAppliesAllOrNothing() {
    StateStore st = store();
    st.compareAndSet("/ledger/node-1", StateStore.ABSENT, b("free=4"));
    TxResult ok =
        st.transaction(
            List.of(
                Op.set("/ledger/node-1", 0, b("free=2")),
                Op.create("/ledger/reservations/pod-a", b("2 cpu")),
                Op.check("/ledger/node-1", 0)));
    // the check sees the version before the transaction: it is evaluated in order, after the set
    assertThat(ok)
        .isInstanceOfSatisfying(
            TxResult.Aborted.class,
            a -> {
              assertThat(a.index()).isEqualTo(2);
              assertThat(a.reason()).isEqualTo(TxResult.Reason.VERSION_MISMATCH);
            });
    assertThat(s(st.get("/ledger/node-1").orElseThrow().data())).isEqualTo("free=4");
    assertThat(st.get("/ledger/reservations/pod-a")).isEmpty();

    TxResult committed =
        st.transaction(
            List.of(
                Op.check("/ledger/node-1", 0),
                Op.set("/ledger/node-1", 0, b("free=2")),
                Op.create("/ledger/reservations/pod-a", b("2 cpu"))));
    assertThat(committed).isEqualTo(new TxResult.Committed(List.of(0, 1, 0)));
    assertThat(s(st.get("/ledger/node-1").orElseThrow().data())).isEqualTo("free=2");

    TxResult exists =
        st.transaction(
            List.of(
                Op.delete("/ledger/reservations/pod-a", 0), Op.create("/ledger/node-1", b("dup"))));
    assertThat(exists)
        .isInstanceOfSatisfying(
            TxResult.Aborted.class,
            a -> {
              assertThat(a.index()).isEqualTo(1);
              assertThat(a.reason()).isEqualTo(TxResult.Reason.EXISTS);
              assertThat(a.op().path()).isEqualTo("/ledger/node-1");
            });
    assertThat(st.get("/ledger/reservations/pod-a")).isPresent();

    TxResult missing = st.transaction(List.of(Op.set("/ledger/none", 0, b("x"))));
    assertThat(missing)
        .isInstanceOfSatisfying(
            TxResult.Aborted.class,
            a -> assertThat(a.reason()).isEqualTo(TxResult.Reason.NOT_FOUND));
    assertThat(st.transaction(List.of())).isEqualTo(new TxResult.Committed(List.of()));
  }

  @Test
  void watchDeliversSnapshotThenChanges() {
    StateStore st = store();
    st.compareAndSet("/timers/n1", StateStore.ABSENT, b("t1"));
    st.compareAndSet("/other", StateStore.ABSENT, b("x"));
    List<String> seen = new CopyOnWriteArrayList<>();
    try (StateWatch w =
        st.watch(
            "/timers",
            c -> seen.add(c.type() + " " + c.path() + " " + s(c.data()) + " v" + c.version()))) {
      assertThat(seen).contains("CREATED /timers/n1 t1 v0");
      st.compareAndSet("/timers/n1", 0, b("t2"));
      st.compareAndSet("/timers/n2", StateStore.ABSENT, b("u"));
      st.delete("/timers/n1", 1);
      st.compareAndSet("/other", 0, b("y"));
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(seen)
                      .contains(
                          "UPDATED /timers/n1 t2 v1",
                          "CREATED /timers/n2 u v0",
                          "DELETED /timers/n1 t2 v1"));
      assertThat(seen).noneMatch(e -> e.contains("/other"));
      assertThat(seen.indexOf("UPDATED /timers/n1 t2 v1"))
          .isLessThan(seen.indexOf("DELETED /timers/n1 t2 v1"));
    }
    int before = seen.size();
    List<String> later = new CopyOnWriteArrayList<>();
    try (StateWatch after = st.watch("/timers", c -> later.add(c.type() + " " + c.path()))) {
      st.compareAndSet("/timers/n3", StateStore.ABSENT, b("late"));
      // a watch opened after the close sees the write; the closed one, which a store tells in the
      // order the watches were opened, would have been told before it
      await().atMost(Duration.ofSeconds(10)).until(() -> later.contains("CREATED /timers/n3"));
    }
    assertThat(seen).as("a closed watch gets nothing more").hasSize(before);
  }

  @Test
  void rejectsBadPathsAndVersions() {
    StateStore st = store();
    assertThatThrownBy(() -> st.get("relative"))
        .hasMessageContaining("invalid state path \"relative\"");
    assertThatThrownBy(() -> st.get("/a/")).hasMessageContaining("invalid state path");
    assertThatThrownBy(() -> st.compareAndSet("/a", -2, b("x"))).hasMessageContaining("-2");
    assertThatThrownBy(() -> Op.set("/a", -1, b("x"))).hasMessageContaining("-1");
  }
}
