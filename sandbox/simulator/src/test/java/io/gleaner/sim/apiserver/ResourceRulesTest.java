package io.gleaner.sim.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ResourceRulesTest {
  static final ObjectMapper M = new ObjectMapper();

  static ObjectNode obj(String json) throws Exception {
    return (ObjectNode) M.readTree(json);
  }

  @Test
  void eachKindWithRulesHasItsOwn() {
    assertThat(ResourceRules.of(ResourceTypes.PODS)).isInstanceOf(PodRules.class);
    assertThat(ResourceRules.of(ResourceTypes.NAMESPACES)).isInstanceOf(NamespaceRules.class);
    assertThat(ResourceRules.of(ResourceTypes.CRDS)).isInstanceOf(CrdRules.class);
    assertThat(ResourceRules.of(ResourceTypes.PRIORITY_CLASSES))
        .isInstanceOf(PriorityClassRules.class);
    assertThat(ResourceRules.of(ResourceTypes.EVENTS)).isInstanceOf(EventRules.class);
  }

  @Test
  void podsAndEventsCarryNoGeneration() {
    assertThat(ResourceRules.of(ResourceTypes.PODS).hasGeneration()).isFalse();
    assertThat(ResourceRules.of(ResourceTypes.EVENTS).hasGeneration()).isFalse();
    assertThat(ResourceRules.of(ResourceTypes.CONFIGMAPS).hasGeneration()).isTrue();
  }

  @Test
  void customResourcesWithAStatusSubresourceIgnoreStatusOnCreateCoreKindsKeepIt() throws Exception {
    ResourceType widgets =
        new ResourceType(
            "example.com",
            "v1",
            "widgets",
            "widget",
            "Widget",
            true,
            List.of(),
            true,
            Set.of(),
            List.of());
    ObjectNode widget = obj("{\"metadata\":{\"name\":\"w\"},\"status\":{\"ready\":true}}");
    ResourceRules.of(widgets).prepareCreate(null, widget);
    assertThat(widget.has("status")).isFalse();

    ObjectNode node = obj("{\"metadata\":{\"name\":\"n\"},\"status\":{\"phase\":\"Running\"}}");
    ResourceRules.of(ResourceTypes.NODES).prepareCreate(null, node);
    assertThat(node.has("status")).isTrue();
  }

  @Test
  void aBoundRunningPodGetsItsGracePeriodAnUnboundOneNone() throws Exception {
    ResourceRules pods = ResourceRules.of(ResourceTypes.PODS);
    ObjectNode bound =
        obj(
            "{\"spec\":{\"nodeName\":\"n1\",\"terminationGracePeriodSeconds\":45},"
                + "\"status\":{\"phase\":\"Running\"}}");
    assertThat(pods.gracePeriod(bound, ObjectStore.DeleteOptions.DEFAULT)).isEqualTo(45);
    assertThat(pods.gracePeriod(bound, ObjectStore.DeleteOptions.withGrace(-1))).isEqualTo(1);
    ObjectNode unbound = obj("{\"spec\":{},\"status\":{\"phase\":\"Pending\"}}");
    assertThat(pods.gracePeriod(unbound, ObjectStore.DeleteOptions.DEFAULT)).isZero();
    assertThat(
            ResourceRules.of(ResourceTypes.CONFIGMAPS)
                .gracePeriod(bound, ObjectStore.DeleteOptions.DEFAULT))
        .isZero();
  }
}
