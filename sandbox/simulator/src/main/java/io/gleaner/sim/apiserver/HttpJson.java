package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;

/**
 * JSON in and out of the simulated API server's HTTP requests: request bodies (JSON or YAML, 400
 * when empty or malformed), JSON responses, and errors as {@code Status} objects.
 */
final class HttpJson {
  static final String JSON = "application/json";
  static final ObjectMapper MAPPER = Serialization.jsonMapper();

  private HttpJson() {}

  /** The body as a JSON object (400 otherwise). */
  static ObjectNode object(Buffer body) {
    JsonNode n = parse(body, JSON);
    if (!n.isObject()) {
      throw ApiException.badRequest("the request body must be a JSON object");
    }
    return (ObjectNode) n;
  }

  /** The body as JSON, or as YAML when {@code contentType} says so. */
  static JsonNode parse(Buffer body, String contentType) {
    if (body == null || body.length() == 0) {
      throw ApiException.badRequest("the request body is empty");
    }
    try {
      if (contentType != null && contentType.contains("yaml")) {
        return Serialization.yamlMapper().readTree(body.toString(StandardCharsets.UTF_8));
      }
      return MAPPER.readTree(body.getBytes());
    } catch (java.io.IOException e) {
      throw ApiException.badRequest("the request body is not valid JSON: " + e.getMessage());
    }
  }

  /** Answers {@code body} with {@code code}, unless the response is already over. */
  static void send(HttpServerResponse resp, int code, JsonNode body) {
    if (resp.ended() || resp.closed()) {
      return;
    }
    resp.setStatusCode(code);
    resp.putHeader("Content-Type", JSON);
    resp.end(body.toString());
  }

  /** Answers the error as a {@code Status}. */
  static void sendStatus(HttpServerResponse resp, ApiException e) {
    send(resp, e.code(), e.toStatus());
  }

  /** The 404 of a path the server does not serve. */
  static ApiException notFoundPath(String path) {
    return new ApiException(
        404, "NotFound", "the server could not find the requested resource (" + path + ")");
  }

  /** A boolean query parameter: {@code true} or {@code 1}. */
  static boolean isTrue(String v) {
    return v != null && (v.equals("true") || v.equals("1"));
  }

  /** The 405 of a method a resource or subresource does not allow. */
  static ApiException methodNotAllowed() {
    return ApiException.methodNotAllowed(
        "the server does not allow this method on the requested resource");
  }
}
