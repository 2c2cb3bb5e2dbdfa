package io.gleaner.api.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gleaner.api.v1.BrokerGrpc;
import io.grpc.MethodDescriptor;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MethodAccessTest {
  @Test
  void theBrokerTableCoversEveryMethodAndOnlyTheServicesWrite() {
    MethodAccess broker = MethodAccess.broker();
    assertThat(broker.table().keySet())
        .containsExactlyInAnyOrderElementsOf(
            BrokerGrpc.getServiceDescriptor().getMethods().stream()
                .map(MethodDescriptor::getFullMethodName)
                .toList());
    assertThat(broker.callers("gleaner.v1.Broker/ReportOffers")).containsExactly("idle-detector");
    assertThat(broker.callers("gleaner.v1.Broker/Withdraw")).containsExactly("descheduler");
    assertThat(broker.allows("reader", "gleaner.v1.Broker/GetCapacity")).isTrue();
    assertThat(broker.allows("reader", "gleaner.v1.Broker/Release")).isFalse();
    assertThat(broker.allows("virtual-kubelet", "gleaner.v1.Broker/Nope")).isFalse();
  }

  @Test
  void aMethodWithoutAnEntryStopsTheServer() {
    assertThatThrownBy(
            () ->
                MethodAccess.of(
                    BrokerGrpc.getServiceDescriptor(),
                    Map.of(BrokerGrpc.getPlaceMethod(), Set.of("virtual-kubelet"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("gleaner.v1.Broker/Withdraw");
  }

  @Test
  void hookSubscribersComeFromConfig() {
    MethodAccess hooks = MethodAccess.reclaimHooks(Set.of("pager"));
    assertThat(hooks.allows("pager", "gleaner.v1.ReclaimHooks/Watch")).isTrue();
    assertThat(hooks.allows("reader", "gleaner.v1.ReclaimHooks/Watch")).isFalse();
  }
}
