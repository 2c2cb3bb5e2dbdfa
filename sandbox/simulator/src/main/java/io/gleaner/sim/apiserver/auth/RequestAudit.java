package io.gleaner.sim.apiserver.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gleaner.sim.apiserver.ResourceTypes;
import io.gleaner.sim.apiserver.audit.AuditEvent;
import io.gleaner.sim.apiserver.audit.AuditLog;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Records one request in the {@link AuditLog}: at once when it is refused (401, 403); when its
 * response completes otherwise, with the response's code; and for a watch or a WebSocket upgrade
 * also when its response starts (such requests may stay open as long as the server runs).
 */
final class RequestAudit {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final UserInfo NOBODY = new UserInfo("", "", List.of(), Map.of());

  private final AuditLog log;
  private final Clock clock;
  private final ResourceTypes types;
  private final HttpServerRequest req;
  private final Buffer body;
  private final Instant received;

  RequestAudit(AuditLog log, Clock clock, ResourceTypes types, HttpServerRequest req, Buffer body) {
    this.log = log;
    this.clock = clock;
    this.types = types;
    this.req = req;
    this.body = body;
    this.received = clock.instant();
  }

  /** The request was refused before it ran: 401 ({@code a} null) or 403 on {@code a}. */
  void refused(UserInfo authenticated, UserInfo actAs, Attributes a, int code, String reason) {
    Attributes attributes =
        a != null ? a : RequestInfo.resolve(NOBODY, req.method().name(), req.path(), req::getParam);
    log.record(
        event(
            AuditEvent.RESPONSE_COMPLETE,
            authenticated,
            actAs,
            attributes,
            "",
            List.of(),
            code,
            reason));
  }

  /** The request passed {@code checks} (the first is the request's own attributes). */
  void admitted(UserInfo authenticated, UserInfo actAs, List<Attributes> checks, String reason) {
    Attributes a = checks.get(0);
    List<String> also = checks.stream().skip(1).map(Attributes::verb).toList();
    String name = a.name();
    if (name.isEmpty()
        && a.verb().equals("create")
        && a.apiGroup().isEmpty()
        && a.resource().equals("pods")
        && a.subresource().isEmpty()) {
      name = createdName(body);
    }
    String upgrade = req.getHeader("Upgrade");
    boolean websocket = upgrade != null && upgrade.equalsIgnoreCase("websocket");
    boolean served =
        a.resourceRequest() && types.find(a.apiGroup(), a.apiVersion(), a.resource()).isPresent();
    if (websocket || a.verb().equals("watch") && served) {
      log.record(
          event(
              AuditEvent.RESPONSE_STARTED,
              authenticated,
              actAs,
              a,
              name,
              also,
              websocket ? 101 : 200,
              reason));
    }
    HttpServerResponse response = req.response();
    String objectName = name;
    response.endHandler(
        v ->
            log.record(
                event(
                    AuditEvent.RESPONSE_COMPLETE,
                    authenticated,
                    actAs,
                    a,
                    objectName,
                    also,
                    response.getStatusCode(),
                    reason)));
  }

  private AuditEvent event(
      String stage,
      UserInfo authenticated,
      UserInfo actAs,
      Attributes a,
      String name,
      List<String> also,
      int code,
      String reason) {
    UserInfo user = authenticated == null ? NOBODY : authenticated;
    String agent = req.getHeader("User-Agent");
    return new AuditEvent(
        0,
        stage,
        received,
        clock.instant(),
        user.name(),
        user.groups(),
        actAs == null || actAs == authenticated ? "" : actAs.name(),
        a.verb(),
        also,
        req.uri(),
        a.apiGroup(),
        a.apiVersion(),
        a.resource(),
        a.subresource(),
        a.namespace(),
        name.isEmpty() ? a.name() : name,
        code,
        reason == null ? "" : reason,
        agent == null ? "" : agent);
  }

  /** {@code metadata.name} of a JSON object sent to create, empty when absent or unreadable. */
  private static String createdName(Buffer body) {
    if (body == null || body.length() == 0) {
      return "";
    }
    try {
      JsonNode n = JSON.readTree(body.getBytes());
      return n.path("metadata").path("name").asText("");
    } catch (IOException e) {
      return "";
    }
  }
}
