package io.gleaner.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.SubjectBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.apiserver.ServerExtensions;
import io.gleaner.sim.apiserver.auth.ClusterCa;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Authentication and RBAC of the simulated API server, checked against kube-apiserver's documented
 * behaviour and wording: 401 without credentials, client certificates of the cluster CA, service
 * account tokens (TokenRequest and legacy Secrets), RBAC with resourceNames, subresources and
 * cluster scope, the review APIs, and the client certificate presented to kubelets.
 */
class ApiAuthIT {
  static final ObjectMapper M = new ObjectMapper();

  /** Every node is someone else's: logs and exec are relayed to the node's kubelet endpoint. */
  static final ServerExtensions NO_SIMULATED_NODES =
      new ServerExtensions() {
        @Override
        public Map<String, String> nodeUsage(JsonNode node) {
          return null;
        }

        @Override
        public Map<String, String> podUsage(JsonNode pod) {
          return null;
        }

        @Override
        public String logs(JsonNode pod, String container, LogOptions options) {
          return null;
        }
      };

  static SimRuntime runtime;
  static FakeClock clock;
  static SimulatedApiServer server;
  static KubernetesClient admin;
  static int counter;
  String ns;

  @BeforeAll
  static void start() {
    runtime = SimRuntime.create();
    clock = new FakeClock();
    server = new SimulatedApiServer("auth-it", runtime, clock, NO_SIMULATED_NODES);
    admin = server.newClient();
  }

  @AfterAll
  static void stop() {
    server.close();
    runtime.close();
  }

  @BeforeEach
  void namespace() {
    ns = "auth" + (++counter);
    admin
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .create();
  }

  // --- helpers

  record Raw(int code, JsonNode body) {}

  /** A raw HTTPS call trusting the cluster CA, with an optional client certificate and token. */
  static Raw call(
      String method,
      String path,
      String json,
      ClusterCa.Issued cert,
      String token,
      String... headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(server.url() + path))
            .method(
                method,
                json == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(json))
            .header("Content-Type", "application/json");
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    HttpResponse<String> r =
        HttpClient.newBuilder()
            .sslContext(server.security().ca().sslContext(cert))
            .build()
            .send(b.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode body;
    try {
      body = M.readTree(r.body());
    } catch (Exception e) {
      body = M.getNodeFactory().textNode(r.body());
    }
    return new Raw(r.statusCode(), body);
  }

  void serviceAccount(String name) {
    admin
        .serviceAccounts()
        .inNamespace(ns)
        .resource(
            new ServiceAccountBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
  }

  String tokenFor(String sa) {
    return admin
        .serviceAccounts()
        .inNamespace(ns)
        .withName(sa)
        .tokenRequest(new TokenRequestBuilder().withNewSpec().endSpec().build())
        .getStatus()
        .getToken();
  }

  String user(String sa) {
    return "system:serviceaccount:" + ns + ":" + sa;
  }

  void role(String name, Consumer<PolicyRuleBuilder> rule) {
    PolicyRuleBuilder r = new PolicyRuleBuilder();
    rule.accept(r);
    admin
        .rbac()
        .roles()
        .inNamespace(ns)
        .resource(
            new RoleBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withRules(r.build())
                .build())
        .create();
  }

  void bindRole(String role, String sa) {
    admin
        .rbac()
        .roleBindings()
        .inNamespace(ns)
        .resource(
            new RoleBindingBuilder()
                .withNewMetadata()
                .withName(role + "-" + sa)
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "Role", role)
                .withSubjects(new SubjectBuilder().withKind("ServiceAccount").withName(sa).build())
                .build())
        .create();
  }

  static KubernetesClientException failure(Runnable call) {
    try {
      call.run();
    } catch (KubernetesClientException e) {
      return e;
    }
    throw new AssertionError("the call succeeded");
  }

  static void assertForbidden(Runnable call, String message) {
    KubernetesClientException e = failure(call);
    assertThat(e.getCode()).isEqualTo(403);
    assertThat(e.getStatus().getReason()).isEqualTo("Forbidden");
    assertThat(e.getStatus().getMessage()).isEqualTo(message);
  }

  // --- authentication

  @Test
  void requestsWithoutCredentialsAre401EvenForHealthAndVersion() throws Exception {
    for (String path : List.of("/api/v1/namespaces/default/pods", "/healthz", "/version", "/api")) {
      Raw r = call("GET", path, null, null, null);
      assertThat(r.code()).as(path).isEqualTo(401);
      assertThat(r.body().path("kind").asText()).isEqualTo("Status");
      assertThat(r.body().path("reason").asText()).isEqualTo("Unauthorized");
      assertThat(r.body().path("message").asText()).isEqualTo("Unauthorized");
      assertThat(r.body().path("code").asInt()).isEqualTo(401);
    }
    assertThat(call("GET", "/api/v1/pods", null, null, "not-a-token").code()).isEqualTo(401);
  }

  @Test
  void aCertificateOfAnotherCaIsNotAUser() throws Exception {
    ClusterCa other = ClusterCa.create("elsewhere");
    ClusterCa.Issued foreign = other.issueClient("kubernetes-admin", List.of("system:masters"));
    assertThat(call("GET", "/api/v1/nodes", null, foreign, null).code()).isEqualTo(401);
    assertThat(call("GET", "/api/v1/nodes", null, server.security().admin(), null).code())
        .isEqualTo(200);
  }

  @Test
  void aClientCertificateNamesUserAndGroups() throws Exception {
    ClusterCa.Issued alice = server.issueClientCertificate("alice", "team-a", "dev");
    Raw who =
        call(
            "POST",
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}",
            alice,
            null);
    assertThat(who.code()).isEqualTo(201);
    assertThat(who.body().path("status").path("userInfo").path("username").asText())
        .isEqualTo("alice");
    assertThat(who.body().path("status").path("userInfo").path("groups").toString())
        .isEqualTo("[\"team-a\",\"dev\",\"system:authenticated\"]");

    try (KubernetesClient c = server.newClient(server.kubeconfig(alice))) {
      assertForbidden(
          () -> c.pods().inNamespace(ns).list(),
          "pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" in"
              + " the namespace \""
              + ns
              + "\"");
      role("pods", r -> r.withApiGroups("").withResources("pods").withVerbs("list"));
      admin
          .rbac()
          .roleBindings()
          .inNamespace(ns)
          .resource(
              new RoleBindingBuilder()
                  .withNewMetadata()
                  .withName("team-a")
                  .endMetadata()
                  .withNewRoleRef("rbac.authorization.k8s.io", "Role", "pods")
                  .withSubjects(new SubjectBuilder().withKind("Group").withName("team-a").build())
                  .build())
          .create();
      assertThat(c.pods().inNamespace(ns).list().getItems()).isEmpty();
    }
  }

  @Test
  void aTokenRequestTokenIsTheServiceAccountUntilTheAccountIsDeleted() throws Exception {
    serviceAccount("broker");
    String token = tokenFor("broker");
    try (KubernetesClient c = server.newClient(server.kubeconfigForToken(token))) {
      assertForbidden(
          () -> c.pods().inNamespace("default").list(),
          "pods is forbidden: User \""
              + user("broker")
              + "\" cannot list resource \"pods\" in API group \"\" in the namespace"
              + " \"default\"");
      assertForbidden(
          () -> c.nodes().list(),
          "nodes is forbidden: User \""
              + user("broker")
              + "\" cannot list resource \"nodes\" in API group \"\" at the cluster scope");
      Raw review =
          call(
              "POST",
              "/apis/authentication.k8s.io/v1/tokenreviews",
              "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\","
                  + "\"spec\":{\"token\":\""
                  + token
                  + "\"}}",
              server.security().admin(),
              null);
      assertThat(review.code()).isEqualTo(201);
      JsonNode status = review.body().path("status");
      assertThat(status.path("authenticated").asBoolean()).isTrue();
      assertThat(status.path("user").path("username").asText()).isEqualTo(user("broker"));
      assertThat(status.path("user").path("uid").asText())
          .isEqualTo(
              admin
                  .serviceAccounts()
                  .inNamespace(ns)
                  .withName("broker")
                  .get()
                  .getMetadata()
                  .getUid());
      assertThat(status.path("user").path("groups").toString())
          .isEqualTo(
              "[\"system:serviceaccounts\",\"system:serviceaccounts:"
                  + ns
                  + "\",\"system:authenticated\"]");

      role("pods", r -> r.withApiGroups("").withResources("pods").withVerbs("get", "list"));
      bindRole("pods", "broker");
      assertThat(c.pods().inNamespace(ns).list().getItems()).isEmpty();
      assertForbidden(
          () -> c.pods().inNamespace("default").list(),
          "pods is forbidden: User \""
              + user("broker")
              + "\" cannot list resource \"pods\" in API group \"\" in the namespace"
              + " \"default\"");

      admin.serviceAccounts().inNamespace(ns).withName("broker").delete();
      assertThat(call("GET", "/api/v1/namespaces/" + ns + "/pods", null, null, token).code())
          .isEqualTo(401);
      // a new account of the same name is another UID: the old token stays dead
      serviceAccount("broker");
      assertThat(call("GET", "/api/v1/namespaces/" + ns + "/pods", null, null, token).code())
          .isEqualTo(401);
    }
  }

  @Test
  void tokenRequestsExpireOnTheClusterClockAndAreValidated() throws Exception {
    serviceAccount("short");
    String token =
        admin
            .serviceAccounts()
            .inNamespace(ns)
            .withName("short")
            .tokenRequest(
                new TokenRequestBuilder()
                    .withNewSpec()
                    .withExpirationSeconds(600L)
                    .endSpec()
                    .build())
            .getStatus()
            .getToken();
    String path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
    String ssar =
        "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\","
            + "\"spec\":{\"resourceAttributes\":{\"verb\":\"list\",\"resource\":\"pods\"}}}";
    assertThat(call("POST", path, ssar, null, token).code()).isEqualTo(201);
    clock.advance(Duration.ofSeconds(601));
    assertThat(call("POST", path, ssar, null, token).code()).isEqualTo(401);

    KubernetesClientException tooShort =
        failure(
            () ->
                admin
                    .serviceAccounts()
                    .inNamespace(ns)
                    .withName("short")
                    .tokenRequest(
                        new TokenRequestBuilder()
                            .withNewSpec()
                            .withExpirationSeconds(60L)
                            .endSpec()
                            .build()));
    assertThat(tooShort.getCode()).isEqualTo(422);
    assertThat(tooShort.getStatus().getMessage())
        .contains("may not specify a duration less than 10 minutes");
    assertThat(
            failure(
                    () ->
                        admin
                            .serviceAccounts()
                            .inNamespace(ns)
                            .withName("nobody")
                            .tokenRequest(
                                new TokenRequestBuilder().withNewSpec().endSpec().build()))
                .getCode())
        .isEqualTo(404);

    // a token for another audience is no API credential
    String vault =
        admin
            .serviceAccounts()
            .inNamespace(ns)
            .withName("short")
            .tokenRequest(
                new TokenRequestBuilder().withNewSpec().withAudiences("vault").endSpec().build())
            .getStatus()
            .getToken();
    assertThat(call("POST", path, ssar, null, vault).code()).isEqualTo(401);
  }

  @Test
  void theTokenControllerFillsLegacyTokenSecretsAndTheTokenDiesWithTheSecret() throws Exception {
    serviceAccount("legacy");
    admin
        .secrets()
        .inNamespace(ns)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("legacy-token")
                .addToAnnotations("kubernetes.io/service-account.name", "legacy")
                .endMetadata()
                .withType("kubernetes.io/service-account-token")
                .build())
        .create();
    Secret filled =
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () -> admin.secrets().inNamespace(ns).withName("legacy-token").get(),
                s -> s.getData() != null && s.getData().containsKey("token"));
    assertThat(decode(filled.getData().get("ca.crt"))).isEqualTo(server.caCertificatePem());
    assertThat(decode(filled.getData().get("namespace"))).isEqualTo(ns);
    assertThat(filled.getMetadata().getAnnotations())
        .containsEntry(
            "kubernetes.io/service-account.uid",
            admin
                .serviceAccounts()
                .inNamespace(ns)
                .withName("legacy")
                .get()
                .getMetadata()
                .getUid());
    String token = decode(filled.getData().get("token"));
    try (KubernetesClient c = server.newClient(server.kubeconfigForToken(token))) {
      assertForbidden(
          () -> c.configMaps().inNamespace(ns).list(),
          "configmaps is forbidden: User \""
              + user("legacy")
              + "\" cannot list resource \"configmaps\" in API group \"\" in the namespace \""
              + ns
              + "\"");
    }
    admin.secrets().inNamespace(ns).withName("legacy-token").delete();
    assertThat(call("GET", "/api/v1/namespaces/" + ns + "/configmaps", null, null, token).code())
        .isEqualTo(401);

    // a token Secret for an account that does not exist is deleted by the controller
    admin
        .secrets()
        .inNamespace(ns)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("orphan-token")
                .addToAnnotations("kubernetes.io/service-account.name", "nobody")
                .endMetadata()
                .withType("kubernetes.io/service-account-token")
                .build())
        .create();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> admin.secrets().inNamespace(ns).withName("orphan-token").get() == null);
  }

  @Test
  void everyNamespaceHasTheClusterCaInKubeRootCaCrtWhichComesBackWhenDeletedOrChanged() {
    var published =
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () -> admin.configMaps().inNamespace(ns).withName("kube-root-ca.crt").get(),
                c -> c != null);
    assertThat(published.getData()).containsEntry("ca.crt", server.caCertificatePem());
    assertThat(admin.configMaps().inNamespace("default").withName("kube-root-ca.crt").get())
        .as("namespaces that existed before the publisher")
        .isNotNull();

    admin
        .configMaps()
        .inNamespace(ns)
        .withName("kube-root-ca.crt")
        .edit(
            c -> {
              c.getData().put("ca.crt", "tampered");
              return c;
            });
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> admin.configMaps().inNamespace(ns).withName("kube-root-ca.crt").get(),
            c -> c != null && server.caCertificatePem().equals(c.getData().get("ca.crt")));
    admin.configMaps().inNamespace(ns).withName("kube-root-ca.crt").delete();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> admin.configMaps().inNamespace(ns).withName("kube-root-ca.crt").get(),
            c -> c != null && server.caCertificatePem().equals(c.getData().get("ca.crt")));
  }

  private static String decode(String b64) {
    return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
  }

  // --- RBAC

  @Test
  void resourceNamesAllowOnlyTheNamedObjects() {
    for (String name : List.of("gleaner-config", "other")) {
      admin
          .configMaps()
          .inNamespace(ns)
          .resource(new ConfigMapBuilder().withNewMetadata().withName(name).endMetadata().build())
          .create();
    }
    serviceAccount("reader");
    role(
        "config",
        r ->
            r.withApiGroups("")
                .withResources("configmaps")
                .withResourceNames("gleaner-config")
                .withVerbs("get", "list", "watch"));
    bindRole("config", "reader");
    try (KubernetesClient c = server.newClient(server.kubeconfigForToken(tokenFor("reader")))) {
      assertThat(c.configMaps().inNamespace(ns).withName("gleaner-config").get()).isNotNull();
      assertForbidden(
          () -> c.configMaps().inNamespace(ns).withName("other").get(),
          "configmaps \"other\" is forbidden: User \""
              + user("reader")
              + "\" cannot get resource \"configmaps\" in API group \"\" in the namespace \""
              + ns
              + "\"");
      assertForbidden(
          () -> c.configMaps().inNamespace(ns).list(),
          "configmaps is forbidden: User \""
              + user("reader")
              + "\" cannot list resource \"configmaps\" in API group \"\" in the namespace \""
              + ns
              + "\"");
      // a list narrowed to the name by a field selector is a list of that name
      assertThat(
              c.configMaps()
                  .inNamespace(ns)
                  .withField("metadata.name", "gleaner-config")
                  .list()
                  .getItems())
          .hasSize(1);
    }
  }

  @Test
  void subresourcesAreAuthorizedApartFromTheirResource() throws Exception {
    admin
        .pods()
        .inNamespace(ns)
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("p")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("main")
                .withImage("busybox")
                .endContainer()
                .endSpec()
                .build())
        .create();
    serviceAccount("debugger");
    role("pods", r -> r.withApiGroups("").withResources("pods").withVerbs("*"));
    bindRole("pods", "debugger");
    String token = tokenFor("debugger");
    String base = "/api/v1/namespaces/" + ns + "/pods/p";
    assertThat(call("GET", base, null, null, token).code()).isEqualTo(200);
    Raw log = call("GET", base + "/log", null, null, token);
    assertThat(log.code()).isEqualTo(403);
    assertThat(log.body().path("message").asText())
        .isEqualTo(
            "pods \"p\" is forbidden: User \""
                + user("debugger")
                + "\" cannot get resource \"pods/log\" in API group \"\" in the namespace \""
                + ns
                + "\"");
    Raw exec = call("POST", base + "/exec?command=ls&stdout=true", null, null, token);
    assertThat(exec.code()).isEqualTo(403);
    assertThat(exec.body().path("message").asText())
        .isEqualTo(
            "pods \"p\" is forbidden: User \""
                + user("debugger")
                + "\" cannot create resource \"pods/exec\" in API group \"\" in the namespace \""
                + ns
                + "\"");

    role("logs", r -> r.withApiGroups("").withResources("pods/log").withVerbs("get"));
    bindRole("logs", "debugger");
    // authorized: the simulated kubelet answers (the pod has no node yet: 400)
    assertThat(call("GET", base + "/log", null, null, token).code()).isEqualTo(400);

    // a WebSocket exec is a GET that also needs create (kube-apiserver >= 1.35)
    role("exec-get", r -> r.withApiGroups("").withResources("pods/exec").withVerbs("get"));
    bindRole("exec-get", "debugger");
    assertThat(websocketExecRejection(base + "/exec?command=ls&stdout=true", token))
        .contains("cannot create resource \\\"pods/exec\\\"");
  }

  private static String websocketExecRejection(String uri, String token) throws Exception {
    var ws =
        runtime
            .vertx()
            .createWebSocketClient(
                new WebSocketClientOptions()
                    .setSsl(true)
                    .setTrustOptions(
                        new PemTrustOptions()
                            .addCertValue(Buffer.buffer(server.caCertificatePem()))));
    try {
      ws.connect(
              new WebSocketConnectOptions()
                  .setHost("127.0.0.1")
                  .setPort(server.port())
                  .setSsl(true)
                  .setURI(uri)
                  .addHeader("Authorization", "Bearer " + token)
                  .setSubProtocols(List.of("v5.channel.k8s.io")))
          .toCompletionStage()
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      throw new AssertionError("the upgrade succeeded");
    } catch (java.util.concurrent.ExecutionException e) {
      UpgradeRejectedException rejected = (UpgradeRejectedException) e.getCause();
      assertThat(rejected.getStatus()).isEqualTo(403);
      return rejected.getBody().toString();
    } finally {
      ws.close();
    }
  }

  @Test
  void aClusterRoleBoundInANamespaceGrantsNothingAtTheClusterScope() {
    serviceAccount("viewer");
    admin
        .rbac()
        .clusterRoles()
        .resource(
            new ClusterRoleBuilder()
                .withNewMetadata()
                .withName(ns + "-nodes-pods")
                .endMetadata()
                .withRules(
                    new PolicyRuleBuilder()
                        .withApiGroups("")
                        .withResources("nodes", "pods")
                        .withVerbs("get", "list")
                        .build())
                .build())
        .create();
    admin
        .rbac()
        .roleBindings()
        .inNamespace(ns)
        .resource(
            new RoleBindingBuilder()
                .withNewMetadata()
                .withName("viewer")
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", ns + "-nodes-pods")
                .withSubjects(
                    new SubjectBuilder()
                        .withKind("ServiceAccount")
                        .withName("viewer")
                        .withNamespace(ns)
                        .build())
                .build())
        .create();
    try (KubernetesClient c = server.newClient(server.kubeconfigForToken(tokenFor("viewer")))) {
      assertThat(c.pods().inNamespace(ns).list().getItems()).isEmpty();
      assertForbidden(
          () -> c.nodes().list(),
          "nodes is forbidden: User \""
              + user("viewer")
              + "\" cannot list resource \"nodes\" in API group \"\" at the cluster scope");
      assertForbidden(
          () -> c.pods().inAnyNamespace().list(),
          "pods is forbidden: User \""
              + user("viewer")
              + "\" cannot list resource \"pods\" in API group \"\" at the cluster scope");
      admin
          .rbac()
          .clusterRoleBindings()
          .resource(
              new ClusterRoleBindingBuilder()
                  .withNewMetadata()
                  .withName(ns + "-viewer")
                  .endMetadata()
                  .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", ns + "-nodes-pods")
                  .withSubjects(
                      new SubjectBuilder()
                          .withKind("ServiceAccount")
                          .withName("viewer")
                          .withNamespace(ns)
                          .build())
                  .build())
          .create();
      assertThat(c.nodes().list().getItems()).isNotNull();
    }
  }

  @Test
  void accessReviewsAnswerFromTheSameRules() throws Exception {
    serviceAccount("asker");
    String sar =
        "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\","
            + "\"spec\":{\"user\":\""
            + user("asker")
            + "\",\"groups\":[\"system:serviceaccounts\"],"
            + "\"resourceAttributes\":{\"namespace\":\""
            + ns
            + "\",\"verb\":\"create\",\"resource\":\"pods\",\"subresource\":\"exec\"}}}";
    String path = "/apis/authorization.k8s.io/v1/subjectaccessreviews";
    Raw before = call("POST", path, sar, server.security().admin(), null);
    assertThat(before.code()).isEqualTo(201);
    assertThat(before.body().path("status").path("allowed").asBoolean()).isFalse();
    role("exec", r -> r.withApiGroups("").withResources("pods/exec").withVerbs("create"));
    bindRole("exec", "asker");
    Raw after = call("POST", path, sar, server.security().admin(), null);
    assertThat(after.body().path("status").path("allowed").asBoolean()).isTrue();
    assertThat(after.body().path("status").path("reason").asText())
        .isEqualTo(
            "RBAC: allowed by RoleBinding \"exec-asker/"
                + ns
                + "\" of Role \"exec\" to ServiceAccount \"asker/"
                + ns
                + "\"");

    // a service account may not review others (no RBAC for subjectaccessreviews) ...
    String token = tokenFor("asker");
    Raw denied = call("POST", path, sar, null, token);
    assertThat(denied.code()).isEqualTo(403);
    assertThat(denied.body().path("message").asText())
        .isEqualTo(
            "subjectaccessreviews.authorization.k8s.io is forbidden: User \""
                + user("asker")
                + "\" cannot create resource \"subjectaccessreviews\" in API group"
                + " \"authorization.k8s.io\" at the cluster scope");
    // ... but itself (system:basic-user)
    Raw self =
        call(
            "POST",
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\","
                + "\"spec\":{\"resourceAttributes\":{\"namespace\":\""
                + ns
                + "\",\"verb\":\"delete\",\"resource\":\"pods\"}}}",
            null,
            token);
    assertThat(self.code()).isEqualTo(201);
    assertThat(self.body().path("status").path("allowed").asBoolean()).isFalse();
    assertThat(call("GET", path, null, server.security().admin(), null).code()).isEqualTo(405);
  }

  @Test
  void impersonationNeedsTheImpersonateVerbAndActsAsTheImpersonatedUser() throws Exception {
    serviceAccount("target");
    role("pods", r -> r.withApiGroups("").withResources("pods").withVerbs("list"));
    bindRole("pods", "target");
    String podsPath = "/api/v1/namespaces/" + ns + "/pods";
    // an admin may impersonate anyone: the request is the service account's
    Raw asTarget =
        call(
            "GET",
            podsPath,
            null,
            server.security().admin(),
            null,
            "Impersonate-User",
            user("target"));
    assertThat(asTarget.code()).isEqualTo(200);
    Raw nodes =
        call(
            "GET",
            "/api/v1/nodes",
            null,
            server.security().admin(),
            null,
            "Impersonate-User",
            user("target"));
    assertThat(nodes.code()).isEqualTo(403);
    assertThat(nodes.body().path("message").asText())
        .isEqualTo(
            "nodes is forbidden: User \""
                + user("target")
                + "\" cannot list resource \"nodes\" in API group \"\" at the cluster scope");
    Raw asUser =
        call(
            "POST",
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}",
            server.security().admin(),
            null,
            "Impersonate-User",
            "alice",
            "Impersonate-Group",
            "team-a");
    assertThat(asUser.body().path("status").path("userInfo").path("username").asText())
        .isEqualTo("alice");
    assertThat(asUser.body().path("status").path("userInfo").path("groups").toString())
        .isEqualTo("[\"team-a\",\"system:authenticated\"]");

    // a service account without the impersonate verb is refused
    serviceAccount("sneaky");
    Raw refused =
        call("GET", podsPath, null, null, tokenFor("sneaky"), "Impersonate-User", "alice");
    assertThat(refused.code()).isEqualTo(403);
    assertThat(refused.body().path("message").asText())
        .isEqualTo(
            "users \"alice\" is forbidden: User \""
                + user("sneaky")
                + "\" cannot impersonate resource \"users\" in API group \"\" at the cluster"
                + " scope");
  }

  // --- the API server as kubelet client

  @Test
  void logsOfAVirtualNodeAreFetchedWithTheKubeletClientCertificate() throws Exception {
    List<String> callers = new CopyOnWriteArrayList<>();
    ClusterCa.Issued serving = server.security().ca().issueServing("kubelet", List.of("127.0.0.1"));
    HttpServer kubelet =
        runtime
            .vertx()
            .createHttpServer(
                new HttpServerOptions()
                    .setHost("127.0.0.1")
                    .setPort(0)
                    .setSsl(true)
                    .setClientAuth(ClientAuth.REQUIRED)
                    .setTrustOptions(
                        new PemTrustOptions()
                            .addCertValue(Buffer.buffer(server.caCertificatePem())))
                    .setKeyCertOptions(
                        new PemKeyCertOptions()
                            .addCertValue(Buffer.buffer(serving.certificatePem()))
                            .addKeyValue(Buffer.buffer(serving.pkcs8KeyPem()))));
    kubelet.requestHandler(
        req -> {
          try {
            X509Certificate peer = (X509Certificate) req.sslSession().getPeerCertificates()[0];
            callers.add(peer.getSubjectX500Principal().getName());
          } catch (Exception e) {
            callers.add("none");
          }
          req.response().end("from the virtual kubelet\n");
        });
    kubelet.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    try {
      admin
          .nodes()
          .resource(
              new NodeBuilder()
                  .withNewMetadata()
                  .withName(ns + "-vk")
                  .addToLabels("type", "virtual-kubelet")
                  .endMetadata()
                  .withNewStatus()
                  .addNewAddress()
                  .withType("InternalIP")
                  .withAddress("127.0.0.1")
                  .endAddress()
                  .withNewDaemonEndpoints()
                  .withNewKubeletEndpoint()
                  .withPort(kubelet.actualPort())
                  .endKubeletEndpoint()
                  .endDaemonEndpoints()
                  .endStatus()
                  .build())
          .create();
      admin
          .pods()
          .inNamespace(ns)
          .resource(
              new PodBuilder()
                  .withNewMetadata()
                  .withName("v")
                  .endMetadata()
                  .withNewSpec()
                  .withNodeName(ns + "-vk")
                  .addNewContainer()
                  .withName("main")
                  .withImage("busybox")
                  .endContainer()
                  .endSpec()
                  .build())
          .create();
      assertThat(admin.pods().inNamespace(ns).withName("v").getLog())
          .isEqualTo("from the virtual kubelet\n");
      assertThat(callers).containsExactly("CN=kube-apiserver-kubelet-client,O=system:masters");
      assertThat(server.security().ca().verify(server.kubeletClientCertificate().certificate()))
          .isTrue();
    } finally {
      kubelet.close();
    }
  }
}
