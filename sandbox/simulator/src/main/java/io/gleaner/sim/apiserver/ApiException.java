package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * A failed API call, rendered as a Kubernetes {@code Status} object with the HTTP code, reason and
 * message the real API server uses for the same failure.
 */
public final class ApiException extends RuntimeException {
  private final int code;
  private final String reason;
  private final List<Cause> causes;
  private final String group;
  private final String kind;
  private final String name;

  /** One {@code details.causes[]} entry. */
  public record Cause(String reason, String message, String field) {}

  public ApiException(int code, String reason, String message) {
    this(code, reason, message, null, null, List.of());
  }

  public ApiException(
      int code, String reason, String message, String kind, String name, List<Cause> causes) {
    this(code, reason, message, "", kind, name, causes);
  }

  /**
   * @param group the API group of {@code details}, empty for the core group (then absent, as
   *     kube-apiserver omits it)
   */
  public ApiException(
      int code,
      String reason,
      String message,
      String group,
      String kind,
      String name,
      List<Cause> causes) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.group = group == null ? "" : group;
    this.kind = kind;
    this.name = name;
    this.causes = List.copyOf(causes);
  }

  public int code() {
    return code;
  }

  public String reason() {
    return reason;
  }

  public static ApiException notFound(ResourceType type, String name) {
    return new ApiException(
        404,
        "NotFound",
        type.qualifiedPlural() + " \"" + name + "\" not found",
        type.group(),
        type.plural(),
        name,
        List.of());
  }

  public static ApiException alreadyExists(ResourceType type, String name) {
    return new ApiException(
        409,
        "AlreadyExists",
        type.qualifiedPlural() + " \"" + name + "\" already exists",
        type.group(),
        type.plural(),
        name,
        List.of());
  }

  public static ApiException conflict(ResourceType type, String name, String why) {
    return new ApiException(
        409,
        "Conflict",
        "Operation cannot be fulfilled on " + type.qualifiedPlural() + " \"" + name + "\": " + why,
        type.group(),
        type.plural(),
        name,
        List.of());
  }

  public static ApiException badRequest(String message) {
    return new ApiException(400, "BadRequest", message);
  }

  public static ApiException invalid(ResourceType type, String name, String field, String message) {
    return invalid(type, name, List.of(new Cause("FieldValueInvalid", message, field)));
  }

  /**
   * A 422 Invalid for a validation's field errors, as kube-apiserver renders the list: one error as
   * {@code Kind "name" is invalid: field: message}, several as {@code Kind "name" is invalid:
   * [field: message, field: message]}; each error a cause.
   */
  public static ApiException invalid(ResourceType type, String name, List<Cause> causes) {
    List<String> errors = new java.util.ArrayList<>();
    for (Cause c : causes) {
      errors.add(c.field() + ": " + c.message());
    }
    String list = errors.size() == 1 ? errors.get(0) : "[" + String.join(", ", errors) + "]";
    return new ApiException(
        422,
        "Invalid",
        qualifiedKind(type) + " \"" + name + "\" is invalid: " + list,
        type.group(),
        type.kind(),
        name,
        causes);
  }

  /** {@code Pod} or {@code Deployment.apps}, as kube-apiserver names a kind in messages. */
  private static String qualifiedKind(ResourceType type) {
    return type.group().isEmpty() ? type.kind() : type.kind() + "." + type.group();
  }

  public static ApiException methodNotAllowed(String message) {
    return new ApiException(405, "MethodNotAllowed", message);
  }

  /** The {@code Status} body for this failure. */
  public ObjectNode toStatus() {
    ObjectNode status = JsonNodeFactory.instance.objectNode();
    status.put("kind", "Status");
    status.put("apiVersion", "v1");
    status.putObject("metadata");
    status.put("status", "Failure");
    status.put("message", getMessage());
    status.put("reason", reason);
    if (kind != null || name != null || !causes.isEmpty()) {
      ObjectNode details = status.putObject("details");
      if (name != null) {
        details.put("name", name);
      }
      if (!group.isEmpty()) {
        details.put("group", group);
      }
      if (kind != null) {
        details.put("kind", kind);
      }
      if (!causes.isEmpty()) {
        ArrayNode array = details.putArray("causes");
        for (Cause c : causes) {
          ObjectNode cause = array.addObject();
          if (c.reason() != null) {
            cause.put("reason", c.reason());
          }
          cause.put("message", c.message());
          if (c.field() != null) {
            cause.put("field", c.field());
          }
        }
      }
    }
    status.put("code", code);
    return status;
  }

  /** A {@code Status} with {@code status: Success}. */
  public static ObjectNode success(int code) {
    ObjectNode status = JsonNodeFactory.instance.objectNode();
    status.put("kind", "Status");
    status.put("apiVersion", "v1");
    status.putObject("metadata");
    status.put("status", "Success");
    status.put("code", code);
    return status;
  }
}
