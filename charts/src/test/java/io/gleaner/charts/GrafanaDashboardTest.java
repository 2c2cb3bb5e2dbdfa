package io.gleaner.charts;

import static io.gleaner.charts.RenderedChart.GLEANER;
import static io.gleaner.charts.RenderedChart.render;
import static io.gleaner.charts.RenderedChart.values;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The Grafana dashboard shipped in charts/gleaner queries metrics the services really publish. */
class GrafanaDashboardTest {
  private static final Path DASHBOARD = Path.of("gleaner", "dashboards", "gleaner-capacity.json");
  private static final Pattern PROM_NAME = Pattern.compile("\\b(gleaner_[a-z_]+)");
  private static final Pattern METER_NAME = Pattern.compile("\"(gleaner\\.[a-z_.]+)\"");

  @Test
  void everyQueryUsesAMeterTheCodeRegisters() throws IOException {
    JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
    assertThat(dashboard.path("uid").asText()).isEqualTo("gleaner-capacity");
    Set<String> meters = meterNamesInSources(Path.of(".."));
    assertThat(meters)
        .as("meter names found in the services' sources")
        .contains("gleaner_broker_free");
    Set<String> unknown = new TreeSet<>();
    int queries = 0;
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        queries++;
        Matcher m = PROM_NAME.matcher(target.path("expr").asText());
        while (m.find()) {
          String base =
              m.group(1)
                  .replaceAll("_(total|seconds_bucket|seconds_count|seconds_sum|seconds)$", "");
          if (!meters.contains(base)) {
            unknown.add(m.group(1));
          }
        }
      }
    }
    assertThat(queries).isGreaterThan(10);
    assertThat(unknown).as("metrics the dashboard queries but no service registers").isEmpty();
  }

  @Test
  void chartShipsTheDashboardOnlyWhenAsked() {
    assertThat(render(GLEANER).has("ConfigMap", "glean-gleaner-grafana-dashboard")).isFalse();
    RenderedChart on = render(GLEANER, values("grafana.dashboard.enabled", true));
    ConfigMap cm =
        on.all(ConfigMap.class).stream()
            .filter(c -> c.getMetadata().getName().endsWith("-grafana-dashboard"))
            .findFirst()
            .orElseThrow();
    assertThat(cm.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
    assertThat(cm.getData().get("gleaner-capacity.json")).contains("\"uid\": \"gleaner-capacity\"");
  }

  /**
   * Meter names in the modules' main sources. Build output ({@code target}) and hidden directories
   * are not entered: other modules of a parallel build write and delete files there while this
   * runs, and a walk meeting a vanished file fails.
   */
  private static Set<String> meterNamesInSources(Path root) throws IOException {
    Set<String> names = new HashSet<>();
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
            return !dir.equals(root) && (name.equals("target") || name.startsWith("."))
                ? FileVisitResult.SKIP_SUBTREE
                : FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
            if (f.toString().endsWith(".java") && f.toString().contains("/src/main/")) {
              Matcher m = METER_NAME.matcher(Files.readString(f));
              while (m.find()) {
                names.add(m.group(1).replace('.', '_'));
              }
            }
            return FileVisitResult.CONTINUE;
          }
        });
    return names;
  }
}
