package io.gleaner.meta.crd;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.crdv2.generator.CRDGenerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checked-in CRD YAML is exactly what fabric8's generator makes from the model classes, and the
 * Helm chart ships identical copies. To regenerate after a model change: {@code ./mvnw -pl
 * meta-cluster test -Dtest=CrdYamlTest -Dgleaner.crd.write=true}.
 */
class CrdYamlTest {
  private static final String REGENERATE =
      "run ./mvnw -pl meta-cluster test -Dtest=CrdYamlTest -Dgleaner.crd.write=true to regenerate";
  private static final Path RESOURCES = Paths.get("src/main/resources", Crds.RESOURCE_DIR);
  private static final Path CHART = Paths.get("../charts/gleaner/crds");

  @TempDir static Path generated;

  @BeforeAll
  static void generate() throws IOException {
    new CRDGenerator()
        .customResourceClasses(MemberCluster.class, GleanerPolicy.class)
        .forCRDVersions("v1")
        .withParallelGenerationEnabled(false)
        .inOutputDir(generated.toFile())
        .generate();
    if (Boolean.getBoolean("gleaner.crd.write")) {
      Files.createDirectories(RESOURCES);
      Files.createDirectories(CHART);
      for (String file : Crds.FILES) {
        Files.copy(
            generated.resolve(file),
            RESOURCES.resolve(file),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(
            generated.resolve(file),
            CHART.resolve(file),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  @Test
  void generatorProducesExactlyTheKnownFiles() throws IOException {
    try (var files = Files.list(generated)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrderElementsOf(Crds.FILES);
    }
  }

  @Test
  void checkedInCrdsMatchTheModel() throws IOException {
    for (String file : Crds.FILES) {
      assertThat(RESOURCES.resolve(file))
          .as("%s is missing; %s", RESOURCES.resolve(file), REGENERATE)
          .exists();
      assertThat(read(RESOURCES.resolve(file)))
          .as(
              "%s differs from the CRD generated from the model classes; %s",
              RESOURCES.resolve(file), REGENERATE)
          .isEqualTo(read(generated.resolve(file)));
    }
  }

  @Test
  void helmChartShipsIdenticalCopies() throws IOException {
    for (String file : Crds.FILES) {
      assertThat(CHART.resolve(file))
          .as("%s is missing; %s", CHART.resolve(file), REGENERATE)
          .exists();
      assertThat(read(CHART.resolve(file)))
          .as("%s differs from %s; %s", CHART.resolve(file), RESOURCES.resolve(file), REGENERATE)
          .isEqualTo(read(RESOURCES.resolve(file)));
    }
  }

  @Test
  void classpathCopiesParseAsCrds() {
    assertThat(Crds.definitions())
        .extracting(crd -> crd.getMetadata().getName())
        .containsExactly(MemberCluster.CRD_NAME, GleanerPolicy.CRD_NAME);
    assertThat(Crds.definitions())
        .allSatisfy(
            crd -> {
              assertThat(crd.getSpec().getScope()).isEqualTo("Cluster");
              assertThat(crd.getSpec().getVersions())
                  .singleElement()
                  .satisfies(v -> assertThat(v.getSubresources().getStatus()).isNotNull());
            });
  }

  private static String read(Path p) throws IOException {
    return Files.readString(p, StandardCharsets.UTF_8);
  }
}
