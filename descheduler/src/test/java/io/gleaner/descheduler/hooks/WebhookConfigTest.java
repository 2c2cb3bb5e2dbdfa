package io.gleaner.descheduler.hooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gleaner.api.v1.SourceKind;
import io.gleaner.descheduler.DeschedulerSettings;
import io.gleaner.meta.config.ConfigException;
import io.gleaner.meta.config.GleanerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebhookConfigTest {
  @TempDir Path dir;

  private GleanerConfig config(Path secret) {
    return GleanerConfig.fromYaml(
        """
            descheduler:
              hooks:
                webhooks:
                  pager:
                    url: https://pager.example.com/gleaner
                    secretFile: %s
                    sources: [volcano]
            """
            .formatted(secret));
  }

  @Test
  void theSigningKeyIsReadFromItsMountedSecretFile() throws Exception {
    Path key = dir.resolve("key");
    Files.writeString(key, "s3cret\n");
    DeschedulerSettings s = DeschedulerSettings.from(config(key).descheduler());
    assertThat(s.webhooks()).hasSize(1);
    Webhook w = s.webhooks().get(0);
    assertThat(w.name()).isEqualTo("pager");
    assertThat(w.secret()).isEqualTo("s3cret");
    assertThat(w.filter().getSourcesList()).containsExactly(SourceKind.VOLCANO);
  }

  @Test
  void aMissingOrEmptyKeyFileNamesTheKey() throws Exception {
    assertThatThrownBy(() -> DeschedulerSettings.from(config(dir.resolve("nope")).descheduler()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("descheduler.hooks.webhooks.pager.secretFile: cannot read");
    Path empty = dir.resolve("empty");
    Files.writeString(empty, "\n");
    assertThatThrownBy(() -> DeschedulerSettings.from(config(empty).descheduler()))
        .hasMessageContaining("is empty");
  }
}
