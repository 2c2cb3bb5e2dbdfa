package io.gleaner.broker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gleaner.api.v1.NodeSelectorRequirement;
import io.gleaner.api.v1.NodeSelectorTerm;
import io.gleaner.api.v1.PodShape;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.api.v1.Taint;
import io.gleaner.api.v1.Toleration;
import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.kube.KubeToleration;
import io.gleaner.meta.resources.Resources;
import org.junit.jupiter.api.Test;

class ModelTest {
  /**
   * The wire format is checked with the Kubernetes rules: what the API server refuses is an invalid
   * argument, naming the field.
   */
  @Test
  void shapesAndOffersThatKubernetesWouldRefuseAreInvalidArguments() {
    assertThatThrownBy(() -> ProtoCodec.shape(shape(tol("", "Equal", "", "")), CLS))
        .isInstanceOf(BrokerException.class)
        .hasMessage(
            "shape: toleration: operator must be Exists when the key is empty (which matches all"
                + " keys)");
    assertThatThrownBy(() -> ProtoCodec.shape(shape(tol("k", "Like", "", "")), CLS))
        .hasMessageContaining("\"Like\"");
    assertThatThrownBy(
            () ->
                ProtoCodec.shape(
                    PodShape.newBuilder()
                        .addRequiredAffinity(
                            NodeSelectorTerm.newBuilder()
                                .addMatchExpressions(
                                    NodeSelectorRequirement.newBuilder()
                                        .setKey("gen")
                                        .setOperator("Gt")
                                        .addValues("x")))
                        .build(),
                    CLS))
        .hasMessageContaining("gen Gt: needs exactly one integer value");
    assertThatThrownBy(
            () ->
                ProtoCodec.offer(
                    io.gleaner.api.v1.NodeOffer.newBuilder()
                        .setCluster("c")
                        .setNode("n")
                        .setSource(SourceKind.IDLE)
                        .addTaints(Taint.newBuilder().setKey("k").setEffect("Sometimes"))
                        .build()))
        .isInstanceOf(BrokerException.class)
        .hasMessageContaining("offer c/n: taint k: taint effect \"Sometimes\"");
    assertThatThrownBy(() -> WorkloadClass.fromLabel("urgent")).hasMessageContaining("\"urgent\"");
  }

  @Test
  void anEmptyKeyExistsTolerationToleratesEveryTaint() {
    PodRequest r = ProtoCodec.shape(shape(tol("", "Exists", "", "")), CLS);
    assertThat(r.tolerations()).containsExactly(KubeToleration.exists(""));
    assertThat(r.tolerations().get(0).tolerates(KubeTaint.of("any", "v", "NoExecute"))).isTrue();
  }

  private static final io.gleaner.api.v1.WorkloadClass CLS =
      io.gleaner.api.v1.WorkloadClass.OFFLINE;

  private static Toleration.Builder tol(String key, String op, String value, String effect) {
    return Toleration.newBuilder().setKey(key).setOperator(op).setValue(value).setEffect(effect);
  }

  private static PodShape shape(Toleration.Builder t) {
    return PodShape.newBuilder().addTolerations(t).build();
  }

  @Test
  void podRequestsValidateGpuSharing() {
    PodRequest share =
        PodRequest.of("u", WorkloadClass.OFFLINE, Resources.of("cpu", "1")).withGpuMilli(460);
    assertThat(share.requests().gpus()).isEqualTo(1);
    assertThat(share.gpuDemandMilli()).isEqualTo(460);
    assertThatThrownBy(
            () ->
                PodRequest.of("u", WorkloadClass.OFFLINE, Resources.of("nvidia.com/gpu", "2"))
                    .withGpuMilli(500))
        .hasMessageContaining("gpu_milli=500");
    assertThatThrownBy(() -> PodRequest.of("", WorkloadClass.OFFLINE, Resources.ZERO))
        .hasMessage("pod_uid must not be empty");
    assertThat(WorkloadClass.fromLabel(null)).isEqualTo(WorkloadClass.OFFLINE);
    assertThat(WorkloadClass.fromLabel("near-line")).isEqualTo(WorkloadClass.NEAR_LINE);
  }
}
