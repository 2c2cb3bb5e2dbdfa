package io.gleaner.bench.placement;

import io.gleaner.broker.model.PodRequest;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.meta.resources.Resources;

/**
 * A pod shape in the benchmark: cpu in milli, memory in bytes, and GPUs as in the openb model (one
 * GPU with {@code gpuMilli < 1000} is a share of one device; otherwise {@code gpus} whole devices).
 */
record Shape(long cpuMilli, long memBytes, int gpus, int gpuMilli) {

  boolean sharesGpu() {
    return gpus == 1 && gpuMilli > 0 && gpuMilli < 1000;
  }

  /** GPU demand in milli-GPU. */
  long gpuDemandMilli() {
    return sharesGpu() ? gpuMilli : gpus * 1000L;
  }

  PodRequest request(String uid, WorkloadClass cls) {
    Resources.Builder b =
        Resources.builder()
            .putCanonical(Resources.CPU, cpuMilli)
            .putCanonical(Resources.MEMORY, memBytes);
    if (gpus > 0) {
      b.putCanonical(Resources.GPU, gpus);
    }
    PodRequest r = PodRequest.of(uid, cls, b.build());
    return sharesGpu() ? r.withGpuMilli(gpuMilli) : r;
  }
}
