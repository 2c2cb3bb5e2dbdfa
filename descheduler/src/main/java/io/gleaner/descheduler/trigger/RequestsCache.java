package io.gleaner.descheduler.trigger;

import io.fabric8.kubernetes.api.model.Pod;
import io.gleaner.meta.resources.Resources;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Effective pod requests ({@link PodViews#requests}) remembered per pod UID and resourceVersion, so
 * a plan pass does not parse every quantity of every pod again. Thread-safe; {@link #forget} on
 * deletion keeps it bounded.
 */
public final class RequestsCache implements Function<Pod, Resources> {
  private record Entry(String resourceVersion, Resources requests) {}

  private final Map<String, Entry> byUid = new ConcurrentHashMap<>();

  @Override
  public Resources apply(Pod pod) {
    String uid = pod.getMetadata().getUid();
    String rv = pod.getMetadata().getResourceVersion();
    if (uid == null || rv == null) {
      return PodViews.requests(pod);
    }
    Entry e = byUid.get(uid);
    if (e != null && e.resourceVersion().equals(rv)) {
      return e.requests();
    }
    Resources r = PodViews.requests(pod);
    byUid.put(uid, new Entry(rv, r));
    return r;
  }

  public void forget(Pod pod) {
    if (pod.getMetadata().getUid() != null) {
      byUid.remove(pod.getMetadata().getUid());
    }
  }
}
