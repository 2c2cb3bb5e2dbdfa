package io.gleaner.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.apiserver.ServerExtensions;
import io.gleaner.sim.apiserver.audit.AuditEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The audit trail of the simulated API server, as kube-apiserver's audit log at level Metadata:
 * user and groups, verb, object reference, response code; refused requests included; the name of a
 * created pod.
 */
class AuditIT {
  static SimRuntime runtime;
  static SimulatedApiServer server;
  static KubernetesClient admin;

  @BeforeAll
  static void start() {
    runtime = SimRuntime.create();
    server = new SimulatedApiServer("audit-it", runtime, new FakeClock(), ServerExtensions.NONE);
    admin = server.newClient();
  }

  @AfterAll
  static void stop() {
    server.close();
    runtime.close();
  }

  @Test
  void everyRequestIsRecordedWithItsUserVerbObjectAndCode() throws Exception {
    admin
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName("audited").endMetadata().build())
        .create();
    admin
        .serviceAccounts()
        .inNamespace("audited")
        .resource(
            new ServiceAccountBuilder().withNewMetadata().withName("bot").endMetadata().build())
        .create();
    admin
        .rbac()
        .roles()
        .inNamespace("audited")
        .resource(
            new RoleBuilder()
                .withNewMetadata()
                .withName("pods")
                .endMetadata()
                .addNewRule()
                .withApiGroups("")
                .withResources("pods")
                .withVerbs("get", "list", "watch", "create")
                .endRule()
                .build())
        .create();
    admin
        .rbac()
        .roleBindings()
        .inNamespace("audited")
        .resource(
            new RoleBindingBuilder()
                .withNewMetadata()
                .withName("pods")
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "Role", "pods")
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName("bot")
                .withNamespace("audited")
                .endSubject()
                .build())
        .create();
    String token =
        admin
            .serviceAccounts()
            .inNamespace("audited")
            .withName("bot")
            .tokenRequest(new TokenRequestBuilder().withNewSpec().endSpec().build())
            .getStatus()
            .getToken();
    long before = server.security().audit().lastSeq();
    KubernetesClient bot = server.newClient(server.kubeconfigForToken(token));
    String user = "system:serviceaccount:audited:bot";

    bot.pods()
        .inNamespace("audited")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("made-by-bot")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("c")
                .withImage("busybox")
                .endContainer()
                .endSpec()
                .build())
        .create();
    assertThatThrownBy(() -> bot.pods().inNamespace("audited").withName("made-by-bot").delete())
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
    int anonymous =
        HttpClient.newBuilder()
            .sslContext(server.security().ca().sslContext(null))
            .build()
            .send(
                HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/namespaces")).build(),
                HttpResponse.BodyHandlers.discarding())
            .statusCode();
    assertThat(anonymous).isEqualTo(401);
    try (var watch = bot.pods().inNamespace("audited").watch(new NoopWatcher())) {
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  events(before).stream()
                      .anyMatch(e -> e.verb().equals("watch") && e.user().equals(user)));
    }

    List<AuditEvent> events = events(before);
    assertThat(events)
        .anySatisfy(
            e -> {
              assertThat(e.user()).isEqualTo(user);
              assertThat(e.groups()).contains("system:serviceaccounts:audited");
              assertThat(e.verb()).isEqualTo("create");
              assertThat(e.combinedResource()).isEqualTo("pods");
              assertThat(e.namespace()).isEqualTo("audited");
              assertThat(e.name()).isEqualTo("made-by-bot");
              assertThat(e.code()).isEqualTo(201);
              assertThat(e.stage()).isEqualTo(AuditEvent.RESPONSE_COMPLETE);
              assertThat(e.reason()).contains("RoleBinding \"pods/audited\"");
            })
        .anySatisfy(
            e -> {
              assertThat(e.user()).isEqualTo(user);
              assertThat(e.verb()).isEqualTo("delete");
              assertThat(e.name()).isEqualTo("made-by-bot");
              assertThat(e.code()).isEqualTo(403);
            })
        .anySatisfy(
            e -> {
              assertThat(e.user()).isEmpty();
              assertThat(e.verb()).isEqualTo("list");
              assertThat(e.combinedResource()).isEqualTo("namespaces");
              assertThat(e.code()).isEqualTo(401);
            })
        .anySatisfy(
            e -> {
              assertThat(e.user()).isEqualTo(user);
              assertThat(e.verb()).isEqualTo("watch");
              assertThat(e.stage()).isEqualTo(AuditEvent.RESPONSE_STARTED);
              assertThat(e.code()).isIn(101, 200);
            });
    assertThat(events).extracting(AuditEvent::seq).isSorted().doesNotHaveDuplicates();
  }

  private static List<AuditEvent> events(long after) {
    return server.security().audit().read(after, Integer.MAX_VALUE).events();
  }

  private static final class NoopWatcher
      implements io.fabric8.kubernetes.client.Watcher<io.fabric8.kubernetes.api.model.Pod> {
    @Override
    public void eventReceived(Action action, io.fabric8.kubernetes.api.model.Pod resource) {}

    @Override
    public void onClose(io.fabric8.kubernetes.client.WatcherException cause) {}
  }
}
