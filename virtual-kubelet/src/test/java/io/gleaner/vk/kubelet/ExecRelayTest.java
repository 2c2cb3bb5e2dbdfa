package io.gleaner.vk.kubelet;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.vk.kubelet.ExecRelay.ExecRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExecRelayTest {
  @Test
  void kubeletAndApiServerParameterNamesAreBothUnderstood() {
    ExecRequest kubelet =
        ExecRequest.parse("command=sh&command=-c&command=echo%20a%26b&input=1&output=1&tty=1");
    assertThat(kubelet)
        .isEqualTo(new ExecRequest(List.of("sh", "-c", "echo a&b"), true, true, false, true));
    ExecRequest api = ExecRequest.parse("command=ls&stdin=true&stdout=true&stderr=true&tty=false");
    assertThat(api).isEqualTo(new ExecRequest(List.of("ls"), true, true, true, false));
    assertThat(ExecRequest.parse(null))
        .isEqualTo(new ExecRequest(List.of(), false, false, false, false));
  }

  @Test
  void theMemberQueryUsesTheApiServerNamesInKubectlOrder() {
    ExecRequest r =
        ExecRequest.parse("command=sh&command=-c&command=echo+hi%20there&output=1&error=1");
    assertThat(r.memberQuery("main"))
        .isEqualTo(
            "command=sh&command=-c&command=echo%20hi%20there&container=main&stdout=true&stderr=true");
    assertThat(ExecRequest.parse("command=cat&input=1&output=1&tty=1").memberQuery("side car"))
        .isEqualTo("command=cat&container=side%20car&stdin=true&stdout=true&tty=true");
  }

  @Test
  void theProtocolIsTheClientsFirstOfferThisServerSpeaks() {
    assertThat(ExecRelay.negotiated("v5.channel.k8s.io, v4.channel.k8s.io"))
        .isEqualTo(ExecRelay.V5);
    assertThat(ExecRelay.negotiated("v3.channel.k8s.io,v4.channel.k8s.io,v5.channel.k8s.io"))
        .isEqualTo(ExecRelay.V4);
    assertThat(ExecRelay.negotiated("channel.k8s.io")).isNull();
    assertThat(ExecRelay.negotiated(null)).isNull();
  }
}
