package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;

/**
 * Secrets: {@code stringData} is a write-only convenience, as in kube-apiserver's conversion of a
 * v1 Secret. On every write its entries are base64-encoded into {@code data}, over a key of the
 * same name, and the field itself is never stored, so no read, list or watch returns it.
 */
final class SecretRules implements ResourceRules {
  @Override
  public void prepareCreate(ObjectStore store, ObjectNode obj) {
    mergeStringData(obj);
  }

  @Override
  public void prepareUpdate(ObjectNode current, ObjectNode next) {
    mergeStringData(next);
  }

  private static void mergeStringData(ObjectNode secret) {
    JsonNode stringData = secret.remove("stringData");
    if (stringData == null || !stringData.isObject() || stringData.isEmpty()) {
      return;
    }
    ObjectNode data = secret.with("data");
    for (Iterator<Map.Entry<String, JsonNode>> it = stringData.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      data.put(
          e.getKey(),
          Base64.getEncoder()
              .encodeToString(e.getValue().asText().getBytes(StandardCharsets.UTF_8)));
    }
  }
}
