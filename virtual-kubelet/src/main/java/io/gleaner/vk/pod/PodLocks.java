package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.Pod;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.MDC;

/**
 * Makes the handlers of one pod run one at a time (striped locks by metadata pod UID), with the
 * pod's namespace, name, member cluster and the virtual node in the logging MDC meanwhile.
 */
final class PodLocks {
  private final ReentrantLock[] stripes = new ReentrantLock[256];
  private final String nodeName;

  PodLocks(String nodeName) {
    this.nodeName = nodeName;
    for (int i = 0; i < stripes.length; i++) {
      stripes[i] = new ReentrantLock();
    }
  }

  /** Runs {@code r} under the pod's lock and MDC; {@code pod} and {@code cluster} may be null. */
  WorkQueue.Result withPod(String uid, Pod pod, String cluster, Supplier<WorkQueue.Result> r) {
    ReentrantLock lock = stripes[Math.floorMod(uid.hashCode(), stripes.length)];
    lock.lock();
    try {
      if (pod != null) {
        MDC.put("namespace", pod.getMetadata().getNamespace());
        MDC.put("pod", pod.getMetadata().getName());
      }
      if (cluster != null) {
        MDC.put("cluster", cluster);
      }
      MDC.put("node", nodeName);
      return r.get();
    } finally {
      MDC.remove("namespace");
      MDC.remove("pod");
      MDC.remove("cluster");
      MDC.remove("node");
      lock.unlock();
    }
  }
}
