package io.gleaner.meta.resources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class QuantitiesTest {

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({
    "0, 0",
    "1, 1",
    "+7, 7",
    "-3, -3",
    "1.5, 1.5",
    ".5, 0.5",
    "5., 5",
    "500m, 0.5",
    "250u, 0.000250",
    "3n, 0.000000003",
    "1k, 1000",
    "2M, 2000000",
    "3G, 3000000000",
    "1T, 1000000000000",
    "1P, 1000000000000000",
    "1E, 1000000000000000000",
    "1Ki, 1024",
    "1Mi, 1048576",
    "1.5Gi, 1610612736",
    "1Ti, 1099511627776",
    "1Pi, 1125899906842624",
    "1Ei, 1152921504606846976",
    "1e3, 1000",
    "1E3, 1000",
    "2e-3, 0.002",
    "12E+2, 1200",
  })
  void parsesEveryKubernetesForm(String text, String expected) {
    assertThat(Quantities.parse(text)).isEqualByComparingTo(new BigDecimal(expected));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "", "abc", "1.2.3", "1KiB", "Mi", "1 Gi", "1mi", "0x10", "--1", "1e", "e3", "1e999"
      })
  void rejectsMalformedWithTheString(String text) {
    assertThatThrownBy(() -> Quantities.parseCanonical(Resources.MEMORY, text))
        .isInstanceOf(InvalidQuantityException.class)
        .hasMessageContaining("memory")
        .hasMessageContaining("\"" + text + "\"");
  }

  @ParameterizedTest(name = "{0} {1} -> {2}")
  @CsvSource({
    "cpu, 1, 1000",
    "cpu, 500m, 500",
    "cpu, 0.1, 100",
    "cpu, 100u, 1", // rounds up like Quantity.MilliValue()
    "cpu, 1e-9, 1",
    "memory, 1Gi, 1073741824",
    "memory, 0.5, 1", // rounds up like Quantity.Value()
    "memory, 129e6, 129000000",
    "memory, 123Mi, 128974848",
    "pods, 110, 110",
    "nvidia.com/gpu, 8, 8",
    "kubernetes.io/batch-cpu, 4000, 4000",
  })
  void canonicalUnits(String name, String text, long expected) {
    assertThat(Quantities.parseCanonical(name, text)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1", "-500m", "-1Gi"})
  void negativeIsRejected(String text) {
    assertThatThrownBy(() -> Quantities.parseCanonical("cpu", text))
        .isInstanceOf(InvalidQuantityException.class)
        .hasMessageContaining("negative")
        .hasMessageContaining("cpu");
  }

  @ParameterizedTest
  @ValueSource(strings = {"9Ei", "100E"})
  void tooLargeIsRejected(String text) {
    assertThatThrownBy(() -> Quantities.parseCanonical("memory", text))
        .isInstanceOf(InvalidQuantityException.class)
        .hasMessageContaining("too large");
  }

  @ParameterizedTest(name = "{0} {1} -> {2}")
  @CsvSource({
    "cpu, 0, 0",
    "cpu, 500, 500m",
    "cpu, 2000, 2",
    "cpu, 2500, 2500m",
    "memory, 0, 0",
    "memory, 1073741824, 1Gi",
    "memory, 1536, 1536",
    "memory, 3072, 3Ki",
    "memory, 2000000000, 2G",
    "memory, 1234567, 1234567",
    "pods, 1024, 1024",
    "nvidia.com/gpu, 4, 4",
    "kubernetes.io/batch-memory, 2147483648, 2Gi",
  })
  void formatsLikeKubectl(String name, long canonical, String expected) {
    assertThat(Quantities.format(name, canonical)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "0", "1", "250m", "7", "1Ki", "1Gi", "3Ti", "1500M", "12345", "64Mi", "1e3", "0.5Gi"
      })
  void formatThenParseRoundTrips(String text) {
    for (String name : new String[] {"cpu", "memory", "pods"}) {
      long canonical;
      try {
        canonical = Quantities.parseCanonical(name, text);
      } catch (InvalidQuantityException e) {
        continue;
      }
      assertThat(Quantities.parseCanonical(name, Quantities.format(name, canonical)))
          .isEqualTo(canonical);
    }
  }
}
