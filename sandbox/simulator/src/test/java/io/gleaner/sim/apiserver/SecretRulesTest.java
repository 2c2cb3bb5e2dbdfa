package io.gleaner.sim.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleaner.meta.time.FakeClock;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * Secrets' {@code stringData} is write-only, as kube-apiserver keeps it: merged into {@code data}
 * (base64, over a key of the same name) on every write, and never stored or returned.
 */
class SecretRulesTest {
  private static final ObjectMapper M = new ObjectMapper();
  private final ObjectStore store = new ObjectStore(new FakeClock(), ResourceTypes.builtIn());

  private static ObjectNode obj(String json) throws Exception {
    return (ObjectNode) M.readTree(json);
  }

  private static String decoded(ObjectNode secret, String key) {
    return new String(
        Base64.getDecoder().decode(secret.path("data").path(key).asText()), StandardCharsets.UTF_8);
  }

  @Test
  void stringDataIsMergedIntoDataOnCreateOverAKeyOfTheSameName() throws Exception {
    store.create(ResourceTypes.NAMESPACES, null, obj("{\"metadata\":{\"name\":\"ns\"}}"));
    ObjectNode stored =
        store.create(
            ResourceTypes.SECRETS,
            "ns",
            obj(
                "{\"metadata\":{\"name\":\"s\"},"
                    + "\"data\":{\"a\":\"b2xk\",\"keep\":\"a2VlcA==\"},"
                    + "\"stringData\":{\"a\":\"new\",\"b\":\"plain text\"}}"));

    assertThat(stored.has("stringData")).isFalse();
    assertThat(decoded(stored, "a")).isEqualTo("new");
    assertThat(decoded(stored, "b")).isEqualTo("plain text");
    assertThat(decoded(stored, "keep")).isEqualTo("keep");
    assertThat(store.get(ResourceTypes.SECRETS, "ns", "s").has("stringData")).isFalse();
  }

  @Test
  void stringDataIsMergedOnUpdateAndPatch() throws Exception {
    store.create(ResourceTypes.NAMESPACES, null, obj("{\"metadata\":{\"name\":\"ns\"}}"));
    store.create(ResourceTypes.SECRETS, "ns", obj("{\"metadata\":{\"name\":\"s\"},\"data\":{}}"));

    ObjectNode patched =
        store.patch(
            ResourceTypes.SECRETS,
            "ns",
            "s",
            Patches.Type.MERGE,
            obj("{\"stringData\":{\"password\":\"p1\"}}"),
            false);
    assertThat(patched.has("stringData")).isFalse();
    assertThat(decoded(patched, "password")).isEqualTo("p1");

    ObjectNode body = patched.deepCopy();
    body.putObject("stringData").put("password", "p2");
    ObjectNode updated = store.update(ResourceTypes.SECRETS, "ns", "s", body, false);
    assertThat(updated.has("stringData")).isFalse();
    assertThat(decoded(updated, "password")).isEqualTo("p2");
  }
}
