package io.gleaner.sim.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WatchHubTest {
  static final ObjectMapper M = new ObjectMapper();
  static final ResourceType PODS = ResourceTypes.PODS;

  static ObjectNode pod(String namespace, String name, String phase) {
    ObjectNode p = M.createObjectNode();
    p.putObject("metadata").put("namespace", namespace).put("name", name);
    p.putObject("status").put("phase", phase);
    return p;
  }

  static String event(ObjectStore.WatchEvent e) {
    return e.type() + " " + e.object().path("metadata").path("name").asText();
  }

  @Test
  void objectsEnteringAndLeavingTheSelectionArriveAsAddedAndDeleted() {
    WatchHub hub = new WatchHub();
    List<String> seen = new ArrayList<>();
    hub.watch(
        PODS,
        "ns",
        o -> o.path("status").path("phase").asText().equals("Running"),
        null,
        e -> seen.add(event(e)),
        List.of(),
        1);
    ObjectNode pending = pod("ns", "a", "Pending");
    ObjectNode running = pod("ns", "a", "Running");
    hub.publish(PODS, 2, ObjectStore.ADDED, pending, null);
    hub.publish(PODS, 3, ObjectStore.MODIFIED, running, pending);
    hub.publish(PODS, 4, ObjectStore.MODIFIED, running, running);
    hub.publish(PODS, 5, ObjectStore.MODIFIED, pending, running);
    hub.publish(PODS, 6, ObjectStore.ADDED, pod("other", "b", "Running"), null);

    assertThat(seen).containsExactly("ADDED a", "MODIFIED a", "DELETED a");
  }

  @Test
  void aWatchFromNothingListsTheCurrentObjectsThenFollows() {
    WatchHub hub = new WatchHub();
    List<String> seen = new ArrayList<>();
    hub.watch(
        PODS,
        null,
        o -> true,
        "0",
        e -> seen.add(event(e)),
        List.of(pod("ns", "a", "Running"), pod("ns", "b", "Running")),
        7);
    hub.publish(PODS, 8, ObjectStore.DELETED, pod("ns", "a", "Running"), null);

    assertThat(seen).containsExactly("ADDED a", "ADDED b", "DELETED a");
    assertThat(hub.watchCount()).isEqualTo(1);
  }

  @Test
  void aWatchResumesAfterItsVersionUntilTheHistoryNoLongerReachesBack() {
    WatchHub hub = new WatchHub();
    for (long rv = 2; rv <= 8194; rv++) { // 8193 events: the first (rv 2) leaves the history
      hub.publish(PODS, rv, ObjectStore.ADDED, pod("ns", "p" + rv, "Running"), null);
    }
    List<String> seen = new ArrayList<>();
    hub.watch(PODS, null, o -> true, "8192", e -> seen.add(event(e)), List.of(), 8194);
    assertThat(seen).containsExactly("ADDED p8193", "ADDED p8194");

    hub.watch(PODS, null, o -> true, "2", e -> {}, List.of(), 8194);
    assertThatThrownBy(() -> hub.watch(PODS, null, o -> true, "1", e -> {}, List.of(), 8194))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(410))
        .hasMessageContaining("too old resource version: 1 (8194)");
    assertThatThrownBy(() -> hub.watch(PODS, null, o -> true, "x", e -> {}, List.of(), 8194))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(400));
  }

  @Test
  void aClosedOrFailingWatchReceivesNothingMore() {
    WatchHub hub = new WatchHub();
    List<String> seen = new ArrayList<>();
    ObjectStore.Subscription closed =
        hub.watch(PODS, null, o -> true, null, e -> seen.add(event(e)), List.of(), 1);
    hub.watch(
        PODS,
        null,
        o -> true,
        null,
        e -> {
          throw new IllegalStateException("gone");
        },
        List.of(),
        1);
    assertThat(hub.watchCount()).isEqualTo(2);

    hub.publish(PODS, 2, ObjectStore.ADDED, pod("ns", "a", "Running"), null);
    closed.close();
    hub.publish(PODS, 3, ObjectStore.ADDED, pod("ns", "b", "Running"), null);

    assertThat(seen).containsExactly("ADDED a");
    assertThat(hub.watchCount()).isZero();
  }
}
