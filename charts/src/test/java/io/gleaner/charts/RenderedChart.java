package io.gleaner.charts;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The objects one {@code helm template} run produced, parsed into fabric8 model objects. Kinds
 * fabric8 does not know (ServiceMonitor) come back as {@code GenericKubernetesResource}.
 */
public final class RenderedChart {

  /** Chart directories, relative to the module directory Maven runs tests in. */
  public static final Path GLEANER = Paths.get("gleaner");

  public static final Path GLEANER_MEMBER = Paths.get("gleaner-member");

  public static final String RELEASE = "glean";
  public static final String NAMESPACE = "gleaner-system";

  private static final Pattern DOCUMENT_SEPARATOR = Pattern.compile("(?m)^---\\s*$");
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private final String yaml;
  private final List<HasMetadata> objects;

  private RenderedChart(String yaml, List<HasMetadata> objects) {
    this.yaml = yaml;
    this.objects = List.copyOf(objects);
  }

  /**
   * Renders {@code chart} as release {@link #RELEASE} in {@link #NAMESPACE} with {@code --set}
   * values.
   */
  public static RenderedChart render(Path chart, Map<String, ?> values) {
    TemplateCommand command = new Helm(chart).template().withName(RELEASE).withNamespace(NAMESPACE);
    if (chart.equals(GLEANER)) {
      // helm-java's template asks a cluster for lookup, and there is none here
      command =
          command.set("grpcTls.lookupExisting", false).set("zookeeper.auth.lookupExisting", false);
    }
    values.forEach(command::set);
    return parse(command.call());
  }

  public static RenderedChart render(Path chart) {
    return render(chart, Map.of());
  }

  /** Convenience for {@code --set} pairs: {@code values("a.b", 1, "c", true)}. */
  public static Map<String, Object> values(Object... keysAndValues) {
    if (keysAndValues.length % 2 != 0) {
      throw new IllegalArgumentException(
          "values() needs key/value pairs, got " + keysAndValues.length + " arguments");
    }
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }

  static RenderedChart parse(String yaml) {
    List<HasMetadata> objects = new ArrayList<>();
    for (String document : DOCUMENT_SEPARATOR.split(yaml)) {
      if (document.lines().allMatch(line -> line.isBlank() || line.startsWith("#"))) {
        continue;
      }
      KubernetesResource parsed = SERIALIZATION.unmarshal(document);
      if (!(parsed instanceof HasMetadata object)) {
        throw new IllegalStateException(
            "rendered document is not a Kubernetes object:\n" + document);
      }
      objects.add(object);
    }
    return new RenderedChart(yaml, objects);
  }

  public String yaml() {
    return yaml;
  }

  public List<HasMetadata> all() {
    return objects;
  }

  public <T extends HasMetadata> List<T> all(Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).collect(Collectors.toList());
  }

  public List<HasMetadata> ofKind(String kind) {
    return objects.stream().filter(o -> kind.equals(o.getKind())).collect(Collectors.toList());
  }

  public <T extends HasMetadata> T get(Class<T> type, String name) {
    return all(type).stream()
        .filter(o -> name.equals(o.getMetadata().getName()))
        .findFirst()
        .orElseThrow(
            () ->
                new NoSuchElementException(
                    "no "
                        + type.getSimpleName()
                        + " named "
                        + name
                        + " in "
                        + objects.stream()
                            .map(o -> o.getKind() + "/" + o.getMetadata().getName())
                            .collect(Collectors.joining(", "))));
  }

  public boolean has(String kind, String name) {
    return objects.stream()
        .anyMatch(o -> kind.equals(o.getKind()) && name.equals(o.getMetadata().getName()));
  }
}
