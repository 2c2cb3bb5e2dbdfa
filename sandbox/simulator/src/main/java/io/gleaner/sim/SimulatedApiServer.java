package io.gleaner.sim;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory;
import io.gleaner.sim.apiserver.ApiHttpHandler;
import io.gleaner.sim.apiserver.ObjectStore;
import io.gleaner.sim.apiserver.PodSubresources;
import io.gleaner.sim.apiserver.ResourceTypes;
import io.gleaner.sim.apiserver.ServerExtensions;
import io.gleaner.sim.apiserver.auth.ApiSecurity;
import io.gleaner.sim.apiserver.auth.BootstrapRbac;
import io.gleaner.sim.apiserver.auth.ClusterCa;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The Kubernetes API of one simulated cluster, served over HTTPS on {@code 127.0.0.1} (port chosen
 * by the OS) on the shared Vert.x of a {@link SimRuntime}, with kube-apiserver's authentication
 * (client certificates from the cluster CA, service account tokens; no anonymous access) and RBAC
 * authorization ({@link ApiSecurity}). {@link #kubeconfig()} and {@link #newClient()} carry the
 * admin's credentials.
 *
 * <p>It is an in-memory API server in the spirit of fabric8's {@code KubernetesMockServer} CRUD
 * mode, with what that mock lacks and Gleaner relies on: field selectors ({@code spec.nodeName},
 * {@code status.phase}, {@code involvedObject.*}, with {@code !=}) and set-based label selectors in
 * list and watch; watches that resume from a resource version (410 Gone when too old) over
 * WebSocket and chunked HTTP; {@code pods/eviction} honouring PodDisruptionBudgets (429); {@code
 * pods/binding} (409 when bound); {@code pods/status} and {@code nodes/status}; graceful pod
 * deletion; finalizers; JSON, merge, strategic merge and apply patches; discovery, {@code /version}
 * and server-side Table printing for kubectl; {@code metrics.k8s.io}; {@code pods/log} and {@code
 * pods/exec} (simulated, or relayed to a virtual kubelet's endpoint).
 *
 * <p>Timestamps come from the cluster's clock, so objects created on an accelerated or fake clock
 * carry simulated times.
 */
public final class SimulatedApiServer implements AutoCloseable {
  private final String name;
  private final SimRuntime runtime;
  private final ObjectStore store;
  private final PodSubresources pods;
  private final ApiSecurity security;
  private final ApiHttpHandler handler;
  private final HttpServer server;
  private final int port;
  private final List<KubernetesClient> clients = new CopyOnWriteArrayList<>();

  /**
   * Starts a server. {@code extensions} supplies metrics and logs (use {@link
   * ServerExtensions#NONE} for a bare API server).
   */
  public SimulatedApiServer(
      String name, SimRuntime runtime, Clock clock, ServerExtensions extensions) {
    this.name = Objects.requireNonNull(name, "name");
    this.runtime = Objects.requireNonNull(runtime, "runtime");
    this.store = new ObjectStore(clock, ResourceTypes.builtIn());
    this.pods = new PodSubresources(store);
    bootstrap();
    this.security = new ApiSecurity(name, store, runtime.executor());
    this.handler = new ApiHttpHandler(runtime.vertx(), store, pods, extensions, name, security);
    this.server =
        runtime
            .vertx()
            .createHttpServer(
                security.configure(
                    new HttpServerOptions()
                        .setHost("127.0.0.1")
                        .setPort(0)
                        .setCompressionSupported(false)
                        .setMaxWebSocketFrameSize(16 * 1024 * 1024)
                        .setMaxWebSocketMessageSize(64 * 1024 * 1024)
                        .setWebSocketSubProtocols(
                            List.of("v4.channel.k8s.io", "v5.channel.k8s.io"))));
    server.requestHandler(handler);
    server.connectionHandler(handler::trackConnection);
    try {
      server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot start the API server of simulated cluster " + name, e);
    }
    this.port = server.actualPort();
  }

  private void bootstrap() {
    for (String ns : List.of("default", "kube-system", "kube-public", "kube-node-lease")) {
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      o.putObject("metadata").put("name", ns);
      store.create(ResourceTypes.NAMESPACES, null, o);
    }
    priorityClass("system-cluster-critical", 2000000000);
    priorityClass("system-node-critical", 2000001000);
    BootstrapRbac.install(store);
  }

  private void priorityClass(String pcName, int value) {
    ObjectNode pc = JsonNodeFactory.instance.objectNode();
    pc.putObject("metadata").put("name", pcName);
    pc.put("value", value);
    pc.put(
        "description",
        "Used for system critical pods that must run in the cluster, but can be moved to another "
            + "node if necessary.");
    store.create(ResourceTypes.PRIORITY_CLASSES, null, pc);
  }

  public String name() {
    return name;
  }

  public int port() {
    return port;
  }

  /** {@code https://127.0.0.1:PORT}. */
  public String url() {
    return "https://127.0.0.1:" + port;
  }

  /** The object database, for in-process simulated controllers and white-box test assertions. */
  public ObjectStore store() {
    return store;
  }

  public PodSubresources podSubresources() {
    return pods;
  }

  /**
   * The cluster's security: its CA, the admin and kubelet-client certificates, the authenticator
   * and authorizer (for white-box tests and simulated controllers).
   */
  public ApiSecurity security() {
    return security;
  }

  /** The cluster CA certificate (PEM), which signed the serving and client certificates. */
  public String caCertificatePem() {
    return security.ca().certificatePem();
  }

  /**
   * The client certificate this API server presents to kubelet endpoints ({@code
   * CN=kube-apiserver-kubelet-client}, {@code O=system:masters}), as kube-apiserver's {@code
   * --kubelet-client-certificate}/{@code --kubelet-client-key}: a kubelet that authenticates its
   * callers trusts the cluster CA ({@link #caCertificatePem()}) and finds this user.
   */
  public ClusterCa.Issued kubeletClientCertificate() {
    return security.kubeletClient();
  }

  /** A new client certificate from the cluster CA: CN = {@code user}, O = {@code groups}. */
  public ClusterCa.Issued issueClientCertificate(String user, String... groups) {
    return security.ca().issueClient(user, List.of(groups));
  }

  /**
   * A kubeconfig (YAML text) with one context named after the cluster, pointing at this server,
   * with the admin's client certificate ({@code kubernetes-admin}, group {@code system:masters}).
   */
  public String kubeconfig() {
    return kubeconfig(security.admin());
  }

  /** A kubeconfig that authenticates with the client certificate {@code cert}. */
  public String kubeconfig(ClusterCa.Issued cert) {
    return kubeconfig(
        name + "-" + userName(cert),
        "    client-certificate-data: "
            + b64(cert.certificatePem())
            + "\n    client-key-data: "
            + b64(cert.keyPem())
            + "\n");
  }

  /** A kubeconfig that authenticates with the bearer {@code token} (e.g. a service account's). */
  public String kubeconfigForToken(String token) {
    return kubeconfig(name + "-token", "    token: " + token + "\n");
  }

  private static String userName(ClusterCa.Issued cert) {
    String cn = cert.certificate().getSubjectX500Principal().getName();
    return cn.replaceAll(".*CN=([^,]*).*", "$1").replaceAll("[^A-Za-z0-9.-]", "-");
  }

  private String kubeconfig(String user, String credentials) {
    return "apiVersion: v1\n"
        + "kind: Config\n"
        + "clusters:\n"
        + "- name: "
        + name
        + "\n"
        + "  cluster:\n"
        + "    server: "
        + url()
        + "\n"
        + "    certificate-authority-data: "
        + b64(caCertificatePem())
        + "\n"
        + "contexts:\n"
        + "- name: "
        + name
        + "\n"
        + "  context:\n"
        + "    cluster: "
        + name
        + "\n"
        + "    user: "
        + user
        + "\n"
        + "    namespace: default\n"
        + "current-context: "
        + name
        + "\n"
        + "preferences: {}\n"
        + "users:\n"
        + "- name: "
        + user
        + "\n"
        + "  user:\n"
        + credentials;
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A new fabric8 client for this server on the runtime's shared Vert.x (closed with the server),
   * with request retries off so that tests see 429/5xx answers at once. Do not make blocking calls
   * with it from a Vert.x event-loop thread.
   */
  public KubernetesClient newClient() {
    return newClient(kubeconfig());
  }

  /**
   * A new fabric8 client (as {@link #newClient()}) with the credentials of {@code kubeconfig}, e.g.
   * from {@link #kubeconfigForToken(String)}.
   */
  public KubernetesClient newClient(String kubeconfig) {
    Config config = Config.fromKubeconfig(kubeconfig);
    config.setRequestTimeout(30_000);
    // Fail fast in tests: a 429 (PDB) or 5xx is reported at once instead of after ten back-off
    // retries.
    config.setRequestRetryBackoffLimit(0);
    KubernetesClient client =
        new KubernetesClientBuilder()
            .withConfig(config)
            .withHttpClientFactory(new VertxHttpClientFactory(runtime.vertx()))
            .build();
    clients.add(client);
    return client;
  }

  /**
   * Simulates a network partition: while unreachable every request (and every new watch) has its
   * connection closed; existing connections are closed too.
   */
  public void setReachable(boolean reachable) {
    handler.setReachable(reachable);
  }

  public boolean reachable() {
    return handler.reachable();
  }

  /** Errors this API server can be told to answer lists and watches with. */
  public io.gleaner.sim.apiserver.FaultInjection faults() {
    return handler.faults();
  }

  @Override
  public void close() {
    clients.forEach(KubernetesClient::close);
    clients.clear();
    store.closeAllWatches();
    handler.close();
    security.close();
    try {
      server.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // closing anyway
    }
  }
}
