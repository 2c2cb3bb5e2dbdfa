package io.gleaner.meta.crd;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The Gleaner CRDs as shipped: generated from the model classes and checked in under {@value
 * #RESOURCE_DIR} (the Helm chart's {@code crds/} holds identical copies; a test keeps all three in
 * sync). Use {@link #install} to register them in a (simulated) metadata cluster.
 */
public final class Crds {
  /** Classpath folder of the CRD YAML files. */
  public static final String RESOURCE_DIR = "META-INF/gleaner/crds";

  /** File names, one per CRD, as fabric8's generator names them ({@code <crd name>-v1.yml}). */
  public static final List<String> FILES =
      List.of(MemberCluster.CRD_NAME + "-v1.yml", GleanerPolicy.CRD_NAME + "-v1.yml");

  private Crds() {}

  /** The CRDs parsed from the classpath. */
  public static List<CustomResourceDefinition> definitions() {
    List<CustomResourceDefinition> out = new ArrayList<>();
    for (String file : FILES) {
      String path = RESOURCE_DIR + "/" + file;
      try (InputStream in = Crds.class.getClassLoader().getResourceAsStream(path)) {
        if (in == null) {
          throw new IllegalStateException("CRD resource " + path + " missing from the classpath");
        }
        out.add(Serialization.unmarshal(in, CustomResourceDefinition.class));
      } catch (IOException e) {
        throw new UncheckedIOException("reading " + path, e);
      }
    }
    return out;
  }

  /** Creates or updates the Gleaner CRDs in the cluster {@code client} talks to. */
  public static void install(KubernetesClient client) {
    for (CustomResourceDefinition crd : definitions()) {
      var resource = client.apiextensions().v1().customResourceDefinitions().resource(crd);
      CustomResourceDefinition existing = resource.get();
      if (existing == null) {
        resource.create();
      } else {
        // A full update (not a merge patch): lists such as spec.versions must be replaced.
        crd.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
        client.apiextensions().v1().customResourceDefinitions().resource(crd).update();
      }
    }
  }
}
