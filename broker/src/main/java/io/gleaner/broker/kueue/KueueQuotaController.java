package io.gleaner.broker.kueue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.gleaner.meta.resources.Resources;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kueue as a front door (opt-in, {@code broker.kueue.enabled}): keeps the {@code nominalQuota} of
 * every Kueue ResourceFlavor that points at the virtual node ({@code spec.nodeLabels} all on the
 * node) in step with the harvested capacity, in every ClusterQueue that lists the flavor. Only cpu,
 * memory and {@code nvidia.com/gpu} entries the user listed are written; a change within the band
 * ({@link QuotaPlan#next}) is not written. A ClusterQueue changed meanwhile (a conflict) is left
 * for the next pass.
 */
public final class KueueQuotaController {
  private static final Logger log = LoggerFactory.getLogger(KueueQuotaController.class);

  public static final String API_VERSION = "kueue.x-k8s.io/v1beta1";

  private final KubernetesClient meta;
  private final String nodeName;
  private final Supplier<Resources> harvested;
  private final double band;

  /**
   * @param meta the metadata cluster
   * @param nodeName the virtual node, whose labels the flavors must select
   * @param harvested the harvested capacity the virtual node advertises
   * @param band the relative change below which a quota is left as it is (e.g. 0.1)
   */
  public KueueQuotaController(
      KubernetesClient meta, String nodeName, Supplier<Resources> harvested, double band) {
    this.meta = Objects.requireNonNull(meta, "meta");
    this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
    this.harvested = Objects.requireNonNull(harvested, "harvested");
    if (!(band >= 0 && band < 1)) {
      throw new IllegalArgumentException("band must be in [0, 1), got " + band);
    }
    this.band = band;
  }

  /** One pass; returns how many ClusterQueues were written. */
  @SuppressWarnings("unchecked")
  public int reconcile() {
    Node node = meta.nodes().withName(nodeName).get();
    if (node == null) {
      log.debug("virtual node {} not found; no Kueue quota written", nodeName);
      return 0;
    }
    Map<String, String> labels =
        node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
    Set<String> flavors = new TreeSet<>();
    for (GenericKubernetesResource f :
        meta.genericKubernetesResources(API_VERSION, "ResourceFlavor").list().getItems()) {
      Object spec = f.getAdditionalProperties().get("spec");
      Object nodeLabels = spec instanceof Map<?, ?> m ? m.get("nodeLabels") : null;
      if (nodeLabels instanceof Map<?, ?> nl
          && QuotaPlan.pointsAt((Map<String, String>) nl, labels)) {
        flavors.add(f.getMetadata().getName());
      }
    }
    if (flavors.isEmpty()) {
      return 0;
    }
    Resources capacity = harvested.get();
    int written = 0;
    List<GenericKubernetesResource> queues =
        meta.genericKubernetesResources(API_VERSION, "ClusterQueue").list().getItems();
    for (GenericKubernetesResource q : queues) {
      Map<String, Object> spec = (Map<String, Object>) q.getAdditionalProperties().get("spec");
      List<String> changes = QuotaPlan.apply(spec, flavors, capacity, band);
      if (changes.isEmpty()) {
        continue;
      }
      try {
        meta.genericKubernetesResources(API_VERSION, "ClusterQueue").resource(q).update();
        written++;
        log.info("ClusterQueue {}: nominalQuota {}", q.getMetadata().getName(), changes);
      } catch (KubernetesClientException e) {
        log.info(
            "ClusterQueue {} not updated ({}); next pass", q.getMetadata().getName(), e.getCode());
      }
    }
    return written;
  }
}
