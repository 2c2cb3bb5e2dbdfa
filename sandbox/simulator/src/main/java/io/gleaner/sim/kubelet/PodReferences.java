package io.gleaner.sim.kubelet;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a kubelet checks of a pod's Secrets and ConfigMaps before it starts the pod, with the
 * kubelet's messages. Objects are looked up in the pod's namespace only.
 *
 * <ul>
 *   <li>Volumes ({@link #unmountable}): a {@code secret} or {@code configMap} volume, or a {@code
 *       projected} volume's secret or configMap source, whose object is missing (or lacks a key its
 *       {@code items} name) and is not {@code optional} cannot be set up; the pod does not start
 *       (its containers wait in {@code ContainerCreating}, a {@code FailedMount} event per volume).
 *   <li>Container environment ({@link #configErrors}): an {@code envFrom} source, or an {@code
 *       env[].valueFrom} {@code secretKeyRef}/{@code configMapKeyRef} whose object (or key) is
 *       missing and is not optional keeps that container in {@code CreateContainerConfigError}. As
 *       the kubelet, {@code envFrom} is resolved before {@code env}, and the first error is the one
 *       reported.
 * </ul>
 *
 * Checked only before a start: a running pod whose object is deleted keeps running, as it does on a
 * real kubelet.
 */
public final class PodReferences {
  /** The two kinds of object a pod refers to by name. */
  public enum Kind {
    SECRET("secret"),
    CONFIGMAP("configmap");

    private final String word;

    Kind(String word) {
      this.word = word;
    }

    /** The kubelet's NotFound message: {@code secret "name" not found}. */
    String notFound(String name) {
      return word + " \"" + name + "\" not found";
    }
  }

  /**
   * The objects of the pod's namespace, as the kubelet's secret and configmap managers see them.
   */
  @FunctionalInterface
  public interface Lookup {
    /** The object, or null when it does not exist. */
    JsonNode find(Kind kind, String name);
  }

  private PodReferences() {}

  /**
   * For each volume that cannot be set up, in spec order: its name → the kubelet's {@code
   * FailedMount} message ({@code MountVolume.SetUp failed for volume "v" : secret "s" not found}).
   * Empty when every volume can be mounted.
   */
  public static Map<String, String> unmountable(JsonNode pod, Lookup lookup) {
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode v : pod.path("spec").path("volumes")) {
      List<String> errors = new ArrayList<>();
      if (v.has("secret")) {
        JsonNode s = v.path("secret");
        addIfNotNull(errors, volumeError(Kind.SECRET, s.path("secretName").asText(""), s, lookup));
      } else if (v.has("configMap")) {
        JsonNode c = v.path("configMap");
        addIfNotNull(errors, volumeError(Kind.CONFIGMAP, c.path("name").asText(""), c, lookup));
      } else if (v.has("projected")) {
        for (JsonNode source : v.path("projected").path("sources")) {
          if (source.has("secret")) {
            JsonNode s = source.path("secret");
            addIfNotNull(errors, volumeError(Kind.SECRET, s.path("name").asText(""), s, lookup));
          } else if (source.has("configMap")) {
            JsonNode c = source.path("configMap");
            addIfNotNull(errors, volumeError(Kind.CONFIGMAP, c.path("name").asText(""), c, lookup));
          }
        }
      }
      if (!errors.isEmpty()) {
        // a projected volume aggregates its sources' errors, as utilerrors.NewAggregate prints
        String detail = errors.size() == 1 ? errors.get(0) : "[" + String.join(", ", errors) + "]";
        String name = v.path("name").asText();
        out.put(name, "MountVolume.SetUp failed for volume \"" + name + "\" : " + detail);
      }
    }
    return out;
  }

  private static String volumeError(Kind kind, String name, JsonNode source, Lookup lookup) {
    boolean optional = source.path("optional").asBoolean(false);
    JsonNode object = lookup.find(kind, name);
    if (object == null) {
      return optional ? null : kind.notFound(name);
    }
    for (JsonNode item : source.path("items")) {
      String key = item.path("key").asText();
      boolean present =
          object.path("data").has(key)
              || kind == Kind.CONFIGMAP && object.path("binaryData").has(key);
      if (!present && !optional) {
        return kind == Kind.SECRET
            ? "references non-existent secret key: " + key
            : "configmap references non-existent config key: " + key;
      }
    }
    return null;
  }

  private static void addIfNotNull(List<String> list, String s) {
    if (s != null) {
      list.add(s);
    }
  }

  /**
   * The containers ({@code initContainers} then {@code containers}) whose environment cannot be
   * made: container name → the kubelet's message ({@code secret "s" not found}, {@code couldn't
   * find key k in Secret ns/s}). Empty when every container can be created.
   */
  public static Map<String, String> configErrors(JsonNode pod, Lookup lookup) {
    Map<String, String> out = new LinkedHashMap<>();
    String ns = pod.path("metadata").path("namespace").asText();
    for (String list : List.of("initContainers", "containers")) {
      for (JsonNode c : pod.path("spec").path(list)) {
        String error = envError(c, ns, lookup);
        if (error != null) {
          out.put(c.path("name").asText(), error);
        }
      }
    }
    return out;
  }

  /** The first error making {@code container}'s environment, or null. */
  static String envError(JsonNode container, String ns, Lookup lookup) {
    for (JsonNode from : container.path("envFrom")) {
      JsonNode ref = from.has("configMapRef") ? from.path("configMapRef") : from.path("secretRef");
      if (ref.isMissingNode()) {
        continue;
      }
      Kind kind = from.has("configMapRef") ? Kind.CONFIGMAP : Kind.SECRET;
      String name = ref.path("name").asText("");
      if (lookup.find(kind, name) == null && !ref.path("optional").asBoolean(false)) {
        return kind.notFound(name);
      }
    }
    for (JsonNode env : container.path("env")) {
      JsonNode from = env.path("valueFrom");
      Kind kind;
      JsonNode ref;
      if (from.has("configMapKeyRef")) {
        kind = Kind.CONFIGMAP;
        ref = from.path("configMapKeyRef");
      } else if (from.has("secretKeyRef")) {
        kind = Kind.SECRET;
        ref = from.path("secretKeyRef");
      } else {
        continue;
      }
      String name = ref.path("name").asText("");
      String key = ref.path("key").asText("");
      boolean optional = ref.path("optional").asBoolean(false);
      JsonNode object = lookup.find(kind, name);
      if (object == null) {
        if (optional) {
          continue;
        }
        return kind.notFound(name);
      }
      // a configMapKeyRef reads data only (not binaryData), as the kubelet does
      if (!object.path("data").has(key) && !optional) {
        return "couldn't find key "
            + key
            + " in "
            + (kind == Kind.SECRET ? "Secret " : "ConfigMap ")
            + ns
            + "/"
            + name;
      }
    }
    return null;
  }
}
