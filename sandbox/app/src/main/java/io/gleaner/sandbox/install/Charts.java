package io.gleaner.sandbox.install;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Helm charts {@code gleaner} and {@code gleaner-member}, shipped inside the sandbox jar, and
 * what {@code helm template} renders from them (helm-java, the Helm library itself).
 */
public final class Charts implements AutoCloseable {
  public static final String GLEANER = "gleaner";
  public static final String GLEANER_MEMBER = "gleaner-member";
  private static final String ROOT = "gleaner-charts";
  private static final Pattern DOCUMENT_SEPARATOR = Pattern.compile("(?m)^---\\s*$");
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private final Path dir;
  private final boolean extracted;

  private Charts(Path dir, boolean extracted) {
    this.dir = dir;
    this.extracted = extracted;
  }

  /** The charts on the class path; copied to a temporary directory when they are in a jar. */
  public static Charts fromClasspath() {
    URL url = Charts.class.getClassLoader().getResource(ROOT + "/" + GLEANER + "/Chart.yaml");
    if (url == null) {
      throw new IllegalStateException("the charts are not on the class path (" + ROOT + "/)");
    }
    try {
      URI uri = url.toURI();
      if ("file".equals(uri.getScheme())) {
        return new Charts(Path.of(uri).getParent().getParent(), false);
      }
      Path target = Files.createTempDirectory("gleaner-charts-");
      try (FileSystem jar = FileSystems.newFileSystem(uri, Map.of())) {
        Path root = jar.getPath("/" + ROOT);
        try (Stream<Path> files = Files.walk(root)) {
          for (Path p : (Iterable<Path>) files::iterator) {
            Path out = target.resolve(root.relativize(p).toString());
            if (Files.isDirectory(p)) {
              Files.createDirectories(out);
            } else {
              Files.copy(p, out);
            }
          }
        }
      }
      return new Charts(target, true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  public Path chart(String name) {
    return dir.resolve(name);
  }

  /** {@code helm template <release> <chart> -n <namespace> -f <values>}, parsed. */
  public List<HasMetadata> render(String chart, String release, String namespace, Path values) {
    TemplateCommand command =
        new Helm(chart(chart)).template().withName(release).withNamespace(namespace);
    if (GLEANER.equals(chart)) {
      // helm-java's template asks a cluster for lookup (the chart's certificates); there is none
      command =
          command.set("grpcTls.lookupExisting", false).set("zookeeper.auth.lookupExisting", false);
    }
    if (values != null) {
      command = command.withValuesFile(values);
    }
    return parse(command.call());
  }

  /**
   * {@code helm template} of {@code release}, its values given as one values file (written to a
   * temporary file and removed after).
   */
  public List<HasMetadata> render(HelmRelease release) {
    try {
      Path values = Files.createTempFile("gleaner-values-", ".yaml");
      try {
        Files.writeString(values, SERIALIZATION.asYaml(release.values()));
        return render(release.chart(), release.name(), release.namespace(), values);
      } finally {
        Files.deleteIfExists(values);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The CRDs in the chart's {@code crds/} directory, which {@code helm install} applies first. */
  public List<HasMetadata> crds(String chart) {
    Path crds = chart(chart).resolve("crds");
    if (!Files.isDirectory(crds)) {
      return List.of();
    }
    List<HasMetadata> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(crds)) {
      for (Path f : files.sorted().toList()) {
        out.addAll(parse(Files.readString(f)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  static List<HasMetadata> parse(String yaml) {
    List<HasMetadata> objects = new ArrayList<>();
    for (String document : DOCUMENT_SEPARATOR.split(yaml)) {
      if (document.lines().allMatch(line -> line.isBlank() || line.trim().startsWith("#"))) {
        continue;
      }
      KubernetesResource parsed = SERIALIZATION.unmarshal(document);
      if (!(parsed instanceof HasMetadata object)) {
        throw new IllegalStateException(
            "rendered document is not a Kubernetes object:\n" + document);
      }
      objects.add(object);
    }
    return objects;
  }

  @Override
  public void close() {
    if (!extracted) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory; best effort
    }
  }
}
