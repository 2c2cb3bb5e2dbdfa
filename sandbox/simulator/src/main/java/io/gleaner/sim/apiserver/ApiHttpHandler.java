package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.sim.apiserver.auth.ApiSecurity;
import io.gleaner.sim.apiserver.auth.AuthApi;
import io.gleaner.sim.apiserver.auth.UserInfo;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes Kubernetes API requests to the {@link ObjectStore}: discovery, CRUD with selectors, watch
 * over WebSocket and chunked HTTP, the pod subresources (status, eviction, binding, log, exec),
 * node status and {@code metrics.k8s.io}. Runs on a Vert.x event loop; every store call is short
 * and non-blocking.
 */
public final class ApiHttpHandler implements Handler<HttpServerRequest> {
  private static final Logger LOG = LoggerFactory.getLogger(ApiHttpHandler.class);
  private static final ObjectMapper MAPPER = Serialization.jsonMapper();
  private static final String JSON = "application/json";

  private final Vertx vertx;
  private final ObjectStore store;
  private final PodSubresources pods;
  private final ServerExtensions extensions;
  private final String clusterName;
  private volatile HttpClient kubeletClient;
  private final PodExec exec;
  private static final long WATCH_START_DELAY_MS = 20;
  private volatile boolean reachable = true;

  private final ApiSecurity security;

  /**
   * {@code security} authenticates and authorizes every request and supplies the client certificate
   * presented to kubelets.
   */
  public ApiHttpHandler(
      Vertx vertx,
      ObjectStore store,
      PodSubresources pods,
      ServerExtensions extensions,
      String clusterName,
      ApiSecurity security) {
    this.vertx = vertx;
    this.store = store;
    this.pods = pods;
    this.extensions = extensions;
    this.clusterName = clusterName;
    this.security = security;
    this.exec =
        new PodExec(
            vertx, store, extensions, this::kubeletAddress, security.kubeletClientKeyCert());
  }

  private final java.util.Set<io.vertx.core.http.HttpConnection> connections =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * Tracks open connections so that a partition can cut them; install as the server's connection
   * handler.
   */
  public void trackConnection(io.vertx.core.http.HttpConnection connection) {
    if (!reachable) {
      connection.close();
      return;
    }
    connections.add(connection);
    connection.closeHandler(v -> connections.remove(connection));
  }

  /** While false every request is answered by closing the connection (a network partition). */
  public void setReachable(boolean reachable) {
    this.reachable = reachable;
    if (!reachable) {
      for (io.vertx.core.http.HttpConnection c : List.copyOf(connections)) {
        c.close();
      }
    }
  }

  public boolean reachable() {
    return reachable;
  }

  /** A parsed resource path. */
  record Target(ResourceType type, String namespace, String name, String subresource) {}

  @Override
  public void handle(HttpServerRequest req) {
    if (!reachable) {
      req.connection().close();
      return;
    }
    String upgrade = req.getHeader("Upgrade");
    if (upgrade != null && upgrade.equalsIgnoreCase("websocket")) {
      serve(req, Buffer.buffer());
      return;
    }
    req.body().onComplete(ar -> serve(req, ar.succeeded() ? ar.result() : Buffer.buffer()));
  }

  private void serve(HttpServerRequest req, Buffer body) {
    try {
      UserInfo user = security.admit(req, body);
      dispatch(req, body, user);
    } catch (ApiException e) {
      sendStatus(req.response(), e);
    } catch (RuntimeException e) {
      LOG.warn("cluster {}: {} {} failed", clusterName, req.method(), req.uri(), e);
      sendStatus(
          req.response(), new ApiException(500, "InternalError", "Internal error occurred: " + e));
    }
  }

  private void dispatch(HttpServerRequest req, Buffer body, UserInfo user) {
    String path = req.path();
    if (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    if (AuthApi.handles(path)) {
      send(
          req.response(),
          201,
          security
              .api()
              .handle(
                  req.method().name(),
                  path,
                  req.method() == HttpMethod.POST ? parse(body, JSON) : MAPPER.createObjectNode(),
                  user));
      return;
    }
    switch (path) {
      case "/version" -> {
        send(req.response(), 200, Discovery.version());
        return;
      }
      case "/healthz", "/livez", "/readyz" -> {
        req.response().putHeader("Content-Type", "text/plain").end("ok");
        return;
      }
      case "/api" -> {
        send(
            req.response(),
            200,
            Discovery.apiVersions(req.localAddress().host() + ":" + req.localAddress().port()));
        return;
      }
      case "/apis" -> {
        send(req.response(), 200, Discovery.groupList(store.types()));
        return;
      }
      case "/openapi/v3" -> {
        send(req.response(), 200, Discovery.openApiV3Root(store.types()));
        return;
      }
      default -> {}
    }
    if (path.startsWith("/openapi/v3/")) {
      ObjectNode doc = Discovery.openApiV3(store.types(), path.substring("/openapi/v3/".length()));
      if (doc == null) {
        throw notFoundPath(path);
      }
      send(req.response(), 200, doc);
      return;
    }
    List<String> segs = new ArrayList<>(Arrays.asList(path.substring(1).split("/")));
    if (segs.get(0).equals("api") && segs.size() >= 2) {
      if (segs.size() == 2) {
        discoveryList(req, "", segs.get(1));
        return;
      }
      route(req, body, "", segs.get(1), segs.subList(2, segs.size()));
      return;
    }
    if (segs.get(0).equals("apis") && segs.size() >= 2) {
      if (segs.size() == 2) {
        Map<String, List<ResourceType>> versions = store.types().byGroup().get(segs.get(1));
        if (versions == null) {
          throw notFoundPath(path);
        }
        send(req.response(), 200, Discovery.group(segs.get(1), versions.keySet()));
        return;
      }
      if (segs.size() == 3) {
        discoveryList(req, segs.get(1), segs.get(2));
        return;
      }
      route(req, body, segs.get(1), segs.get(2), segs.subList(3, segs.size()));
      return;
    }
    throw notFoundPath(path);
  }

  private static ApiException notFoundPath(String path) {
    return new ApiException(
        404, "NotFound", "the server could not find the requested resource (" + path + ")");
  }

  private void discoveryList(HttpServerRequest req, String group, String version) {
    Map<String, List<ResourceType>> versions = store.types().byGroup().get(group);
    if (versions == null || !versions.containsKey(version)) {
      throw notFoundPath(req.path());
    }
    send(
        req.response(),
        200,
        Discovery.resourceList(
            group.isEmpty() ? version : group + "/" + version, versions.get(version)));
  }

  private ResourceType type(String group, String version, String plural, String path) {
    return store.types().find(group, version, plural).orElseThrow(() -> notFoundPath(path));
  }

  private void route(
      HttpServerRequest req, Buffer body, String group, String version, List<String> rest) {
    Target t;
    if (rest.get(0).equals("namespaces")
        && rest.size() >= 3
        && !(rest.size() == 3
            && (rest.get(2).equals("status") || rest.get(2).equals("finalize")))) {
      ResourceType type = type(group, version, rest.get(2), req.path());
      if (!type.namespaced()) {
        throw notFoundPath(req.path());
      }
      t =
          new Target(
              type,
              rest.get(1),
              rest.size() > 3 ? rest.get(3) : null,
              rest.size() > 4 ? rest.get(4) : null);
      if (rest.size() > 5) {
        throw notFoundPath(req.path());
      }
    } else {
      ResourceType type = type(group, version, rest.get(0), req.path());
      t =
          new Target(
              type,
              null,
              rest.size() > 1 ? rest.get(1) : null,
              rest.size() > 2 ? rest.get(2) : null);
      if (rest.size() > 3) {
        throw notFoundPath(req.path());
      }
    }
    if (t.type().group().equals("metrics.k8s.io")) {
      metrics(req, t);
      return;
    }
    if (t.type().equals(ResourceTypes.EVENTS)
        && t.name() == null
        && req.method() == HttpMethod.POST) {
      // fall through to create
    }
    MultiMap q = req.params();
    HttpMethod m = req.method();
    if (t.subresource() != null) {
      subresource(req, body, t);
      return;
    }
    if (m == HttpMethod.GET) {
      if (t.name() == null) {
        if (isTrue(q.get("watch"))) {
          watch(req, t);
        } else {
          list(req, t);
        }
      } else {
        ObjectNode o = store.require(t.type(), t.namespace(), t.name());
        if (Tables.wantsTable(req.getHeader("Accept"))) {
          send(
              req.response(),
              200,
              Tables.table(
                  t.type(),
                  store.types().columns(t.type()),
                  List.of(o),
                  store.currentResourceVersion(),
                  store.clock().instant()));
        } else {
          send(req.response(), 200, o);
        }
      }
    } else if (m == HttpMethod.POST) {
      if (t.name() != null) {
        throw ApiException.methodNotAllowed(
            "the server does not allow this method on the requested resource");
      }
      if (t.type().equals(ResourceTypes.BINDINGS)) {
        JsonNode binding = parse(body, JSON);
        send(
            req.response(),
            201,
            pods.bind(t.namespace(), binding.path("metadata").path("name").asText(), binding));
        return;
      }
      ObjectNode created = store.create(t.type(), t.namespace(), object(body));
      send(req.response(), 201, created);
    } else if (m == HttpMethod.PUT) {
      requireName(t);
      send(
          req.response(),
          200,
          store.update(t.type(), t.namespace(), t.name(), object(body), false));
    } else if (m == HttpMethod.PATCH) {
      requireName(t);
      send(
          req.response(),
          200,
          store.patch(
              t.type(),
              t.namespace(),
              t.name(),
              Patches.Type.ofContentType(req.getHeader("Content-Type")),
              parse(body, req.getHeader("Content-Type")),
              false));
    } else if (m == HttpMethod.DELETE) {
      ObjectStore.DeleteOptions opts = deleteOptions(q, body);
      if (t.name() == null) {
        deleteCollection(req, t, opts);
      } else {
        send(req.response(), 200, store.delete(t.type(), t.namespace(), t.name(), opts));
      }
    } else {
      throw ApiException.methodNotAllowed("method " + m + " is not supported");
    }
  }

  private static void requireName(Target t) {
    if (t.name() == null) {
      throw ApiException.methodNotAllowed(
          "the server does not allow this method on the requested resource");
    }
  }

  private void subresource(HttpServerRequest req, Buffer body, Target t) {
    HttpMethod m = req.method();
    String sub = t.subresource();
    if (sub.equals("status") && t.type().statusSubresource()) {
      if (m == HttpMethod.GET) {
        send(req.response(), 200, store.require(t.type(), t.namespace(), t.name()));
      } else if (m == HttpMethod.PUT) {
        send(
            req.response(),
            200,
            store.update(t.type(), t.namespace(), t.name(), object(body), true));
      } else if (m == HttpMethod.PATCH) {
        send(
            req.response(),
            200,
            store.patch(
                t.type(),
                t.namespace(),
                t.name(),
                Patches.Type.ofContentType(req.getHeader("Content-Type")),
                parse(body, req.getHeader("Content-Type")),
                true));
      } else {
        throw ApiException.methodNotAllowed(
            "the server does not allow this method on the requested resource");
      }
      return;
    }
    if (t.type().equals(ResourceTypes.PODS)) {
      switch (sub) {
        case "eviction" -> {
          if (m != HttpMethod.POST) {
            throw ApiException.methodNotAllowed(
                "the server does not allow this method on the requested resource");
          }
          JsonNode eviction = body.length() == 0 ? MAPPER.createObjectNode() : parse(body, JSON);
          String evName = eviction.path("metadata").path("name").asText("");
          if (!evName.isEmpty() && !evName.equals(t.name())) {
            throw ApiException.badRequest("name in URL does not match name in Eviction object");
          }
          send(req.response(), 201, pods.evict(t.namespace(), t.name(), eviction));
          return;
        }
        case "binding" -> {
          if (m != HttpMethod.POST) {
            throw ApiException.methodNotAllowed(
                "the server does not allow this method on the requested resource");
          }
          send(req.response(), 201, pods.bind(t.namespace(), t.name(), parse(body, JSON)));
          return;
        }
        case "log" -> {
          logs(req, t);
          return;
        }
        case "exec" -> {
          if (m != HttpMethod.GET && m != HttpMethod.POST) {
            throw ApiException.methodNotAllowed(
                "the server does not allow this method on the requested resource");
          }
          ObjectNode pod = store.require(ResourceTypes.PODS, t.namespace(), t.name());
          exec.handle(
              req,
              t.namespace(),
              t.name(),
              container(pod, t.name(), req.params().get("container")));
          return;
        }
        default -> {}
      }
    }
    throw notFoundPath(req.path());
  }

  private static boolean isTrue(String v) {
    return v != null && (v.equals("true") || v.equals("1"));
  }

  private Predicate<JsonNode> selector(MultiMap q, ResourceType type) {
    return Selectors.predicate(
        Selectors.parseLabels(q.get("labelSelector")),
        Selectors.parseFields(q.get("fieldSelector"), type));
  }

  private void list(HttpServerRequest req, Target t) {
    ObjectStore.ListResult r =
        store.list(t.type(), t.namespace(), selector(req.params(), t.type()));
    if (Tables.wantsTable(req.getHeader("Accept"))) {
      send(
          req.response(),
          200,
          Tables.table(
              t.type(),
              store.types().columns(t.type()),
              r.items(),
              r.resourceVersion(),
              store.clock().instant()));
      return;
    }
    List<ObjectNode> items = r.items();
    String limitParam = req.params().get("limit");
    String cont = req.params().get("continue");
    int offset = 0;
    if (cont != null && !cont.isEmpty()) {
      try {
        offset = Integer.parseInt(cont);
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("invalid continue token \"" + cont + "\"");
      }
    }
    String next = null;
    if (limitParam != null && !limitParam.isEmpty() && Integer.parseInt(limitParam) > 0) {
      int limit = Integer.parseInt(limitParam);
      int end = Math.min(items.size(), offset + limit);
      if (end < items.size()) {
        next = Integer.toString(end);
      }
      items = items.subList(Math.min(offset, items.size()), end);
    }
    ObjectNode list = MAPPER.createObjectNode();
    list.put("kind", t.type().kind() + "List");
    list.put("apiVersion", t.type().apiVersion());
    ObjectNode meta = list.putObject("metadata");
    meta.put("resourceVersion", Long.toString(r.resourceVersion()));
    if (next != null) {
      meta.put("continue", next);
    }
    ArrayNode array = list.putArray("items");
    items.forEach(array::add);
    send(req.response(), 200, list);
  }

  private void deleteCollection(HttpServerRequest req, Target t, ObjectStore.DeleteOptions opts) {
    ObjectStore.ListResult r =
        store.list(t.type(), t.namespace(), selector(req.params(), t.type()));
    ObjectNode list = MAPPER.createObjectNode();
    list.put("kind", t.type().kind() + "List");
    list.put("apiVersion", t.type().apiVersion());
    list.putObject("metadata").put("resourceVersion", Long.toString(r.resourceVersion()));
    ArrayNode array = list.putArray("items");
    for (ObjectNode o : r.items()) {
      try {
        array.add(
            store.delete(
                t.type(),
                o.path("metadata").path("namespace").asText(null),
                o.path("metadata").path("name").asText(),
                opts));
      } catch (ApiException e) {
        if (e.code() != 404) {
          throw e;
        }
      }
    }
    send(req.response(), 200, list);
  }

  private void watch(HttpServerRequest req, Target t) {
    Predicate<JsonNode> filter = selector(req.params(), t.type());
    String rv = req.params().get("resourceVersion");
    String upgrade = req.getHeader("Upgrade");
    if (upgrade != null && upgrade.equalsIgnoreCase("websocket")) {
      // fabric8's Vert.x client sets its frame handlers a task after the upgrade and drops frames
      // that come before:
      // the watch starts at once (nothing is missed), but its first frames are held back a moment
      req.toWebSocket()
          .onSuccess(
              ws -> {
                List<String> held = new ArrayList<>();
                boolean[] open = {false};
                ObjectStore.Subscription sub;
                try {
                  sub =
                      store.watch(
                          t.type(),
                          t.namespace(),
                          filter,
                          rv,
                          e -> {
                            synchronized (held) {
                              if (!open[0]) {
                                held.add(e.json());
                              } else if (!ws.isClosed()) {
                                ws.writeTextMessage(e.json());
                              }
                            }
                          });
                } catch (ApiException e) {
                  vertx.setTimer(
                      WATCH_START_DELAY_MS,
                      id -> {
                        ws.writeTextMessage(errorEvent(e));
                        ws.close();
                      });
                  return;
                }
                ws.closeHandler(v -> sub.close());
                ws.exceptionHandler(err -> sub.close());
                vertx.setTimer(
                    WATCH_START_DELAY_MS,
                    id -> {
                      synchronized (held) {
                        open[0] = true;
                        held.forEach(
                            m -> {
                              if (!ws.isClosed()) {
                                ws.writeTextMessage(m);
                              }
                            });
                        held.clear();
                      }
                    });
              });
      return;
    }
    HttpServerResponse resp = req.response();
    resp.setChunked(true);
    resp.putHeader("Content-Type", JSON);
    resp.putHeader("Transfer-Encoding", "chunked");
    ObjectStore.Subscription sub;
    try {
      sub =
          store.watch(
              t.type(),
              t.namespace(),
              filter,
              rv,
              e -> {
                if (!resp.closed() && !resp.ended()) {
                  resp.write(e.json() + "\n");
                }
              });
    } catch (ApiException e) {
      resp.setStatusCode(200);
      resp.end(errorEvent(e) + "\n");
      return;
    }
    resp.closeHandler(v -> sub.close());
    String timeout = req.params().get("timeoutSeconds");
    if (timeout != null && !timeout.isEmpty()) {
      vertx.setTimer(
          Math.max(1, Long.parseLong(timeout)) * 1000L,
          id -> {
            sub.close();
            if (!resp.ended() && !resp.closed()) {
              resp.end();
            }
          });
    }
  }

  private static String errorEvent(ApiException e) {
    ObjectNode ev = MAPPER.createObjectNode();
    ev.put("type", "ERROR");
    ev.set("object", e.toStatus());
    return ev.toString();
  }

  private void metrics(HttpServerRequest req, Target t) {
    if (req.method() != HttpMethod.GET) {
      throw ApiException.methodNotAllowed(
          "the server does not allow this method on the requested resource");
    }
    boolean nodes = t.type().equals(ResourceTypes.NODE_METRICS);
    ResourceType source = nodes ? ResourceTypes.NODES : ResourceTypes.PODS;
    String ts = Times.format(store.clock().instant());
    if (t.name() != null) {
      ObjectNode o = store.get(source, t.namespace(), t.name());
      ObjectNode m = o == null ? null : metricsOf(nodes, o, ts);
      if (m == null) {
        throw new ApiException(
            404,
            "NotFound",
            (nodes ? "nodemetrics" : "podmetrics")
                + ".metrics.k8s.io \""
                + t.name()
                + "\" not found");
      }
      send(req.response(), 200, m);
      return;
    }
    Predicate<JsonNode> filter =
        Selectors.predicate(Selectors.parseLabels(req.params().get("labelSelector")), List.of());
    ObjectNode list = MAPPER.createObjectNode();
    list.put("kind", nodes ? "NodeMetricsList" : "PodMetricsList");
    list.put("apiVersion", "metrics.k8s.io/v1beta1");
    list.putObject("metadata");
    ArrayNode items = list.putArray("items");
    for (ObjectNode o : store.list(source, t.namespace(), filter).items()) {
      ObjectNode m = metricsOf(nodes, o, ts);
      if (m != null) {
        items.add(m);
      }
    }
    send(req.response(), 200, list);
  }

  private ObjectNode metricsOf(boolean node, ObjectNode o, String ts) {
    Map<String, String> usage = node ? extensions.nodeUsage(o) : extensions.podUsage(o);
    if (usage == null) {
      return null;
    }
    ObjectNode m = MAPPER.createObjectNode();
    m.put("kind", node ? "NodeMetrics" : "PodMetrics");
    m.put("apiVersion", "metrics.k8s.io/v1beta1");
    ObjectNode meta = m.putObject("metadata");
    meta.put("name", o.path("metadata").path("name").asText());
    if (!node) {
      meta.put("namespace", o.path("metadata").path("namespace").asText());
    }
    meta.put("creationTimestamp", ts);
    if (o.path("metadata").has("labels")) {
      meta.set("labels", o.path("metadata").get("labels"));
    }
    m.put("timestamp", ts);
    m.put("window", "30s");
    if (node) {
      ObjectNode u = m.putObject("usage");
      usage.forEach(u::put);
    } else {
      ArrayNode containers = m.putArray("containers");
      JsonNode specContainers = o.path("spec").path("containers");
      int n = Math.max(1, specContainers.size());
      boolean first = true;
      for (JsonNode c : specContainers) {
        ObjectNode cm = containers.addObject();
        cm.put("name", c.path("name").asText());
        ObjectNode u = cm.putObject("usage");
        if (first) {
          usage.forEach(u::put);
          first = false;
        } else {
          u.put("cpu", "0");
          u.put("memory", "0");
        }
      }
      if (n == 0) {
        containers.addObject().put("name", "main");
      }
    }
    return m;
  }

  private void logs(HttpServerRequest req, Target t) {
    if (req.method() != HttpMethod.GET) {
      throw ApiException.methodNotAllowed(
          "the server does not allow this method on the requested resource");
    }
    ObjectNode pod = store.require(ResourceTypes.PODS, t.namespace(), t.name());
    MultiMap q = req.params();
    String container = container(pod, t.name(), q.get("container"));
    ServerExtensions.LogOptions opts =
        new ServerExtensions.LogOptions(
            q.get("tailLines") == null ? null : Integer.valueOf(q.get("tailLines")),
            isTrue(q.get("timestamps")),
            q.get("sinceSeconds") == null ? null : Long.valueOf(q.get("sinceSeconds")),
            isTrue(q.get("follow")),
            isTrue(q.get("previous")),
            q.get("limitBytes") == null ? null : Long.valueOf(q.get("limitBytes")));
    String nodeName = pod.path("spec").path("nodeName").asText("");
    String text = nodeName.isEmpty() ? null : extensions.logs(pod, container, opts);
    if (text != null || nodeName.isEmpty()) {
      if (nodeName.isEmpty()
          || "Pending".equals(pod.path("status").path("phase").asText()) && text.isEmpty()) {
        throw ApiException.badRequest(
            "container \""
                + container
                + "\" in pod \""
                + t.name()
                + "\" is waiting to start: ContainerCreating");
      }
      if (opts.limitBytes() != null && text.length() > opts.limitBytes()) {
        text = text.substring(0, opts.limitBytes().intValue());
      }
      req.response().putHeader("Content-Type", "text/plain").end(text);
      return;
    }
    proxyLogs(req, pod, nodeName, container, q);
  }

  /**
   * The container a {@code log} or {@code exec} request names, or the pod's only one; 400
   * otherwise.
   */
  private static String container(JsonNode pod, String podName, String container) {
    List<String> names = new ArrayList<>();
    pod.path("spec").path("containers").forEach(c -> names.add(c.path("name").asText()));
    pod.path("spec").path("initContainers").forEach(c -> names.add(c.path("name").asText()));
    if (container == null || container.isEmpty()) {
      if (pod.path("spec").path("containers").size() != 1) {
        throw ApiException.badRequest(
            "a container name must be specified for pod "
                + podName
                + ", choose one of: ["
                + String.join(" ", names)
                + "]");
      }
      return names.get(0);
    }
    if (!names.contains(container)) {
      throw ApiException.badRequest("container " + container + " is not valid for pod " + podName);
    }
    return container;
  }

  /**
   * Forwards {@code pods/log} to the kubelet API of a node the simulator does not run (a virtual
   * kubelet).
   */
  private void proxyLogs(
      HttpServerRequest req, ObjectNode pod, String nodeName, String container, MultiMap q) {
    String[] address = kubeletAddress(nodeName);
    String host = address[0];
    int port = Integer.parseInt(address[1]);
    StringBuilder uri =
        new StringBuilder("/containerLogs/")
            .append(pod.path("metadata").path("namespace").asText())
            .append('/')
            .append(pod.path("metadata").path("name").asText())
            .append('/')
            .append(container);
    String sep = "?";
    for (String p :
        List.of("tailLines", "timestamps", "sinceSeconds", "follow", "previous", "limitBytes")) {
      String v = q.get(p);
      if (v != null) {
        uri.append(sep).append(p).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8));
        sep = "&";
      }
    }
    HttpServerResponse resp = req.response();
    String h = host;
    kubeletClient()
        .request(
            new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setHost(h)
                .setPort(port)
                .setURI(uri.toString()))
        .compose(r -> r.send())
        .onSuccess(
            r -> {
              resp.setStatusCode(r.statusCode());
              resp.putHeader(
                  "Content-Type",
                  Optional.ofNullable(r.getHeader("Content-Type")).orElse("text/plain"));
              resp.setChunked(true);
              r.handler(resp::write);
              r.endHandler(v -> resp.end());
              r.exceptionHandler(e -> resp.reset());
            })
        .onFailure(
            e ->
                sendStatus(
                    resp,
                    new ApiException(
                        500,
                        "InternalError",
                        "Get \"https://" + h + ":" + port + uri + "\": " + e.getMessage())));
  }

  /**
   * {host, port} of a node's kubelet endpoint (its InternalIP and daemonEndpoints), as the API
   * server dials it.
   */
  private String[] kubeletAddress(String nodeName) {
    ObjectNode node = store.get(ResourceTypes.NODES, null, nodeName);
    if (node == null) {
      throw ApiException.notFound(ResourceTypes.NODES, nodeName);
    }
    String host = null;
    for (JsonNode a : node.path("status").path("addresses")) {
      if ("InternalIP".equals(a.path("type").asText())) {
        host = a.path("address").asText();
      }
    }
    int port =
        node.path("status").path("daemonEndpoints").path("kubeletEndpoint").path("Port").asInt(0);
    if (host == null || port == 0) {
      throw new ApiException(
          500,
          "InternalError",
          "node " + nodeName + " publishes no InternalIP address and kubelet endpoint port");
    }
    return new String[] {host, Integer.toString(port)};
  }

  private HttpClient kubeletClient() {
    HttpClient c = kubeletClient;
    if (c == null) {
      synchronized (this) {
        if (kubeletClient == null) {
          kubeletClient =
              vertx.createHttpClient(
                  new HttpClientOptions()
                      .setSsl(true)
                      .setKeyCertOptions(security.kubeletClientKeyCert())
                      .setTrustAll(true)
                      .setVerifyHost(false)
                      .setConnectTimeout(5000));
        }
        c = kubeletClient;
      }
    }
    return c;
  }

  private static ObjectStore.DeleteOptions deleteOptions(MultiMap q, Buffer body) {
    ObjectStore.DeleteOptions opts = ObjectStore.DeleteOptions.DEFAULT;
    if (body.length() > 0) {
      opts = ObjectStore.DeleteOptions.from(parse(body, JSON));
    }
    String grace = q.get("gracePeriodSeconds");
    if (grace != null && !grace.isEmpty()) {
      opts = opts.withGracePeriod(Long.parseLong(grace));
    }
    return opts;
  }

  private static ObjectNode object(Buffer body) {
    JsonNode n = parse(body, JSON);
    if (!n.isObject()) {
      throw ApiException.badRequest("the request body must be a JSON object");
    }
    return (ObjectNode) n;
  }

  private static JsonNode parse(Buffer body, String contentType) {
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

  private static void send(HttpServerResponse resp, int code, JsonNode body) {
    if (resp.ended() || resp.closed()) {
      return;
    }
    resp.setStatusCode(code);
    resp.putHeader("Content-Type", JSON);
    resp.end(body.toString());
  }

  private static void sendStatus(HttpServerResponse resp, ApiException e) {
    send(resp, e.code(), e.toStatus());
  }

  /** Releases the kubelet proxy client. */
  public void close() {
    exec.close();
    HttpClient c = kubeletClient;
    if (c != null) {
      c.close();
    }
  }
}
