package io.gleaner.sim.apiserver;

import static io.gleaner.sim.apiserver.HttpJson.JSON;
import static io.gleaner.sim.apiserver.HttpJson.MAPPER;
import static io.gleaner.sim.apiserver.HttpJson.isTrue;
import static io.gleaner.sim.apiserver.HttpJson.notFoundPath;
import static io.gleaner.sim.apiserver.HttpJson.object;
import static io.gleaner.sim.apiserver.HttpJson.parse;
import static io.gleaner.sim.apiserver.HttpJson.send;
import static io.gleaner.sim.apiserver.HttpJson.sendStatus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleaner.sim.apiserver.auth.ApiSecurity;
import io.gleaner.sim.apiserver.auth.AuthApi;
import io.gleaner.sim.apiserver.auth.UserInfo;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of a simulated API server's HTTP requests: authentication and authorization ({@link
 * ApiSecurity}), the network partition switch, errors as {@code Status}, and routing. It serves
 * CRUD with selectors, paging ({@link ListPages}) and tables from the {@link ObjectStore}, the
 * status subresources and {@code pods/eviction}, {@code pods/binding} ({@link PodSubresources}),
 * and hands the rest on: discovery ({@link Discovery}), watches ({@link WatchStreams}), {@code
 * metrics.k8s.io} ({@link MetricsApi}), {@code pods/log} ({@link PodLogs}) and {@code pods/exec}
 * ({@link PodExec}), both through {@link KubeletProxy} for nodes the simulator does not run. Runs
 * on a Vert.x event loop; every store call is short and non-blocking.
 */
public final class ApiHttpHandler implements Handler<HttpServerRequest> {
  private static final Logger LOG = LoggerFactory.getLogger(ApiHttpHandler.class);

  private final ObjectStore store;
  private final PodSubresources pods;
  private final String clusterName;
  private final KubeletProxy kubelets;
  private final PodExec exec;
  private final PodLogs logs;
  private final MetricsApi metrics;
  private final WatchStreams watches;
  private volatile boolean reachable = true;
  private final FaultInjection faults = new FaultInjection();

  private final ApiSecurity security;
  private final Admission admission;

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
    this.store = store;
    this.pods = pods;
    this.clusterName = clusterName;
    this.security = security;
    this.admission = new Admission(store);
    this.kubelets = new KubeletProxy(vertx, store, security.kubeletClientKeyCert());
    this.exec = new PodExec(vertx, store, extensions, kubelets);
    this.logs = new PodLogs(store, extensions, kubelets);
    this.metrics = new MetricsApi(store, extensions);
    this.watches = new WatchStreams(vertx, store);
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

  /** Errors this server can be told to answer with. */
  public FaultInjection faults() {
    return faults;
  }

  /** A parsed resource path. */
  record Target(ResourceType type, String namespace, String name, String subresource) {}

  @Override
  public void handle(HttpServerRequest req) {
    if (!reachable) {
      req.connection().close();
      return;
    }
    if (faults.intercept(req)) {
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
      case "/healthz", "/livez", "/readyz" -> {
        req.response().putHeader("Content-Type", "text/plain").end("ok");
        return;
      }
      default -> {}
    }
    ObjectNode doc =
        Discovery.document(
            store.types(),
            path,
            req.path(),
            () -> req.localAddress().host() + ":" + req.localAddress().port());
    if (doc != null) {
      send(req.response(), 200, doc);
      return;
    }
    List<String> segs = new ArrayList<>(Arrays.asList(path.substring(1).split("/")));
    if (segs.get(0).equals("api") && segs.size() >= 3) {
      route(req, body, user, "", segs.get(1), segs.subList(2, segs.size()));
      return;
    }
    if (segs.get(0).equals("apis") && segs.size() >= 4) {
      route(req, body, user, segs.get(1), segs.get(2), segs.subList(3, segs.size()));
      return;
    }
    throw notFoundPath(path);
  }

  private ResourceType type(String group, String version, String plural, String path) {
    return store.types().find(group, version, plural).orElseThrow(() -> notFoundPath(path));
  }

  private void route(
      HttpServerRequest req,
      Buffer body,
      UserInfo user,
      String group,
      String version,
      List<String> rest) {
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
    if (MetricsApi.serves(t.type())) {
      send(
          req.response(),
          200,
          metrics.get(
              req.method(), t.type(), t.namespace(), t.name(), req.params().get("labelSelector")));
      return;
    }
    MultiMap q = req.params();
    HttpMethod m = req.method();
    if (t.subresource() != null) {
      subresource(req, body, t, user);
      return;
    }
    ObjectStore.Admit admit = admission.of(user, "");
    if (m == HttpMethod.GET) {
      if (t.name() == null) {
        if (isTrue(q.get("watch"))) {
          watches.serve(req, t.type(), t.namespace(), selector(q, t.type()));
        } else {
          list(req, t);
        }
      } else {
        ObjectNode o = store.require(t.type(), t.namespace(), t.name());
        if (Tables.wantsTable(req.getHeader("Accept"))) {
          send(req.response(), 200, table(t.type(), List.of(o), store.currentResourceVersion()));
        } else {
          send(req.response(), 200, o);
        }
      }
    } else if (m == HttpMethod.POST) {
      if (t.name() != null) {
        throw HttpJson.methodNotAllowed();
      }
      if (t.type().equals(ResourceTypes.BINDINGS)) {
        JsonNode binding = parse(body, JSON);
        String pod = binding.path("metadata").path("name").asText();
        admission.check(
            user, "CREATE", ResourceTypes.PODS, "binding", t.namespace(), pod, binding, null);
        send(
            req.response(),
            201,
            pods.bind(t.namespace(), binding.path("metadata").path("name").asText(), binding));
        return;
      }
      ObjectNode created = store.create(t.type(), t.namespace(), object(body), admit);
      send(req.response(), 201, created);
    } else if (m == HttpMethod.PUT) {
      requireName(t);
      send(
          req.response(),
          200,
          store.update(t.type(), t.namespace(), t.name(), object(body), false, admit));
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
              false,
              admit));
    } else if (m == HttpMethod.DELETE) {
      ObjectStore.DeleteOptions opts = deleteOptions(q, body);
      if (t.name() == null) {
        deleteCollection(req, t, opts, admit);
      } else {
        send(req.response(), 200, store.delete(t.type(), t.namespace(), t.name(), opts, admit));
      }
    } else {
      throw ApiException.methodNotAllowed("method " + m + " is not supported");
    }
  }

  private static void requireName(Target t) {
    if (t.name() == null) {
      throw HttpJson.methodNotAllowed();
    }
  }

  private void subresource(HttpServerRequest req, Buffer body, Target t, UserInfo user) {
    HttpMethod m = req.method();
    String sub = t.subresource();
    if (sub.equals("status") && t.type().statusSubresource()) {
      ObjectStore.Admit admit = admission.of(user, "status");
      if (m == HttpMethod.GET) {
        send(req.response(), 200, store.require(t.type(), t.namespace(), t.name()));
      } else if (m == HttpMethod.PUT) {
        send(
            req.response(),
            200,
            store.update(t.type(), t.namespace(), t.name(), object(body), true, admit));
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
                true,
                admit));
      } else {
        throw HttpJson.methodNotAllowed();
      }
      return;
    }
    if (t.type().equals(ResourceTypes.PODS)) {
      switch (sub) {
        case "eviction" -> {
          if (m != HttpMethod.POST) {
            throw HttpJson.methodNotAllowed();
          }
          JsonNode eviction = body.length() == 0 ? MAPPER.createObjectNode() : parse(body, JSON);
          String evName = eviction.path("metadata").path("name").asText("");
          if (!evName.isEmpty() && !evName.equals(t.name())) {
            throw ApiException.badRequest("name in URL does not match name in Eviction object");
          }
          admission.check(
              user, "CREATE", t.type(), "eviction", t.namespace(), t.name(), eviction, null);
          send(req.response(), 201, pods.evict(t.namespace(), t.name(), eviction));
          return;
        }
        case "binding" -> {
          if (m != HttpMethod.POST) {
            throw HttpJson.methodNotAllowed();
          }
          JsonNode binding = parse(body, JSON);
          admission.check(
              user, "CREATE", t.type(), "binding", t.namespace(), t.name(), binding, null);
          send(req.response(), 201, pods.bind(t.namespace(), t.name(), binding));
          return;
        }
        case "log" -> {
          logs.serve(req, t.namespace(), t.name());
          return;
        }
        case "exec" -> {
          if (m != HttpMethod.GET && m != HttpMethod.POST) {
            throw HttpJson.methodNotAllowed();
          }
          ObjectNode pod = store.require(ResourceTypes.PODS, t.namespace(), t.name());
          admission.check(
              user,
              "CONNECT",
              t.type(),
              "exec",
              t.namespace(),
              t.name(),
              PodExec.options(req.params()),
              null);
          exec.handle(
              req,
              t.namespace(),
              t.name(),
              PodLogs.container(pod, t.name(), req.params().get("container")));
          return;
        }
        default -> {}
      }
    }
    throw notFoundPath(req.path());
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
      send(req.response(), 200, table(t.type(), r.items(), r.resourceVersion()));
      return;
    }
    send(
        req.response(),
        200,
        ListPages.page(
            t.type(),
            r.items(),
            r.resourceVersion(),
            req.params().get("limit"),
            req.params().get("continue")));
  }

  /** Server-side printing ({@code kubectl get}). */
  private ObjectNode table(ResourceType type, List<ObjectNode> items, long resourceVersion) {
    return Tables.table(
        type, store.types().columns(type), items, resourceVersion, store.clock().instant());
  }

  private void deleteCollection(
      HttpServerRequest req, Target t, ObjectStore.DeleteOptions opts, ObjectStore.Admit admit) {
    ObjectStore.ListResult r =
        store.list(t.type(), t.namespace(), selector(req.params(), t.type()));
    ObjectNode list = ListPages.empty(t.type(), r.resourceVersion());
    ArrayNode array = (ArrayNode) list.get("items");
    for (ObjectNode o : r.items()) {
      try {
        array.add(
            store.delete(
                t.type(),
                o.path("metadata").path("namespace").asText(null),
                o.path("metadata").path("name").asText(),
                opts,
                admit));
      } catch (ApiException e) {
        if (e.code() != 404) {
          throw e;
        }
      }
    }
    send(req.response(), 200, list);
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

  /** Releases the kubelet proxy clients. */
  public void close() {
    kubelets.close();
  }
}
