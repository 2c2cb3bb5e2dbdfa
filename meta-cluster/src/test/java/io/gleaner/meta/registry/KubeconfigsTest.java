package io.gleaner.meta.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.Config;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class KubeconfigsTest {

  @Test
  void writtenKubeconfigIsReadByFabric8() {
    String yaml = Kubeconfigs.write("east-1", "http://127.0.0.1:6443");

    Config config = Config.fromKubeconfig(yaml);

    assertThat(config.getMasterUrl()).startsWith("http://127.0.0.1:6443");
    assertThat(config.getCurrentContext().getName()).isEqualTo("east-1");
    assertThat(yaml)
        .contains("current-context: \"east-1\"")
        .doesNotContain("insecure-skip-tls-verify");
    assertThat(KubeconfigSecrets.parse(yaml, "test", MemberClientConfig.defaults()))
        .isInstanceOf(KubeconfigSecrets.Loaded.class);
  }

  @Test
  void tokenAndInsecureFlagAreWritten() {
    String yaml = Kubeconfigs.write("sim", "https://127.0.0.1:1234", "s3cret", true);

    Config config = Config.fromKubeconfig(yaml);

    assertThat(config.getAutoOAuthToken()).isEqualTo("s3cret");
    assertThat(config.isTrustCerts()).isTrue();
    assertThat(yaml).contains("insecure-skip-tls-verify: true");
  }

  @Test
  void rejectsBadArguments() {
    assertThatThrownBy(() -> Kubeconfigs.write("x", "127.0.0.1:80"))
        .hasMessageContaining(
            "serverUrl must start with http:// or https://, got \"127.0.0.1:80\"");
    assertThatThrownBy(() -> Kubeconfigs.write(" ", "http://a"))
        .hasMessageContaining("clusterName");
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of("not: [valid", "is not a kubeconfig"),
        Arguments.of("apiVersion: v1", "is not a kubeconfig: no clusters"),
        Arguments.of(
            """
            clusters:
            - name: a
              cluster: {server: "http://x"}
            """,
            "current-context is not set"),
        Arguments.of(
            """
            clusters:
            - name: a
              cluster: {server: "http://x"}
            current-context: b
            """,
            "current-context \"b\" is not among the contexts"),
        Arguments.of(
            """
            clusters:
            - name: a
              cluster: {}
            contexts:
            - name: b
              context: {cluster: a}
            current-context: b
            """,
            "cluster \"a\" of context \"b\" has no server"));
  }

  @ParameterizedTest
  @MethodSource("malformed")
  void malformedKubeconfigsAreExplained(String kubeconfig, String problem) {
    KubeconfigSecrets.Result result =
        KubeconfigSecrets.parse(
            kubeconfig, "Secret ns/name key \"kubeconfig\"", MemberClientConfig.defaults());

    assertThat(result)
        .isInstanceOfSatisfying(
            KubeconfigSecrets.Failed.class,
            f -> {
              assertThat(f.reason()).isEqualTo("InvalidKubeconfig");
              assertThat(f.message())
                  .startsWith("Secret ns/name key \"kubeconfig\"")
                  .contains(problem);
            });
  }
}
