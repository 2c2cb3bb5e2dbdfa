package io.gleaner.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.apiserver.ServerExtensions;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The simulated API server enforces ValidatingAdmissionPolicies as kube-apiserver does: applied
 * with kubectl's client, matched by user, evaluated on create, delete, patch and eviction with the
 * object as it would be stored, refused with kube-apiserver's status; a policy whose CEL does not
 * compile is refused when written.
 */
class AdmissionPolicyIT {
  private static final String POLICY =
      """
      apiVersion: admissionregistration.k8s.io/v1
      kind: ValidatingAdmissionPolicy
      metadata: {name: only-owned}
      spec:
        failurePolicy: Fail
        matchConstraints:
          resourceRules:
            - {apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "DELETE"], resources: ["pods", "pods/eviction"]}
            - {apiGroups: [""], apiVersions: ["v1"], operations: ["UPDATE"], resources: ["nodes"]}
        matchConditions:
          - name: robot
            expression: "request.userInfo.username == 'system:serviceaccount:adm:robot'"
        variables:
          - name: labels
            expression: "request.operation == 'DELETE' ? (has(oldObject.metadata.labels) ? oldObject.metadata.labels : {}) : (has(object.metadata.labels) ? object.metadata.labels : {})"
        validations:
          - expression: "request.resource.resource != 'pods' || has(request.subResource) || ('owned' in variables.labels)"
            message: only owned pods
            reason: Forbidden
          - expression: "!has(request.subResource) || request.name.startsWith('owned-')"
            message: only owned pods are evicted
            reason: Forbidden
          - expression: "request.resource.resource != 'nodes' || object.metadata.labels == oldObject.metadata.labels"
      ---
      apiVersion: admissionregistration.k8s.io/v1
      kind: ValidatingAdmissionPolicyBinding
      metadata: {name: only-owned}
      spec:
        policyName: only-owned
        validationActions: [Deny]
      """;

  static SimRuntime runtime;
  static SimulatedApiServer server;
  static KubernetesClient admin;
  static KubernetesClient robot;

  @BeforeAll
  static void start() {
    runtime = SimRuntime.create();
    server = new SimulatedApiServer("vap-it", runtime, new FakeClock(), ServerExtensions.NONE);
    admin = server.newClient();
    admin
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName("adm").endMetadata().build())
        .create();
    admin
        .serviceAccounts()
        .inNamespace("adm")
        .resource(
            new ServiceAccountBuilder().withNewMetadata().withName("robot").endMetadata().build())
        .create();
    admin
        .rbac()
        .clusterRoleBindings()
        .resource(
            new ClusterRoleBindingBuilder()
                .withNewMetadata()
                .withName("robot-admin")
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "cluster-admin")
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName("robot")
                .withNamespace("adm")
                .endSubject()
                .build())
        .create();
    String token =
        admin
            .serviceAccounts()
            .inNamespace("adm")
            .withName("robot")
            .tokenRequest(new TokenRequestBuilder().withNewSpec().endSpec().build())
            .getStatus()
            .getToken();
    robot = server.newClient(server.kubeconfigForToken(token));
    admin
        .nodes()
        .resource(
            new NodeBuilder()
                .withNewMetadata()
                .withName("n1")
                .addToLabels("role", "online")
                .endMetadata()
                .build())
        .create();
    for (String document : POLICY.split("(?m)^---$")) {
      admin.resource((HasMetadata) admin.getKubernetesSerialization().unmarshal(document)).create();
    }
  }

  @AfterAll
  static void stop() {
    server.close();
    runtime.close();
  }

  private static Pod pod(String name, Map<String, String> labels) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("adm")
        .withLabels(labels)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("c")
        .withImage("busybox")
        .endContainer()
        .endSpec()
        .build();
  }

  @Test
  void aRefusedCreateIsForbiddenWithThePolicysMessageAndAnAllowedOneIsStored() {
    robot.pods().inNamespace("adm").resource(pod("owned-1", Map.of("owned", "yes"))).create();
    assertThatThrownBy(
            () -> robot.pods().inNamespace("adm").resource(pod("free-1", Map.of())).create())
        .isInstanceOfSatisfying(
            KubernetesClientException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(403);
              assertThat(e.getStatus().getReason()).isEqualTo("Forbidden");
              assertThat(e.getStatus().getMessage())
                  .isEqualTo(
                      "pods \"free-1\" is forbidden: ValidatingAdmissionPolicy 'only-owned' with"
                          + " binding 'only-owned' denied request: only owned pods");
              assertThat(e.getStatus().getDetails().getCauses())
                  .singleElement()
                  .satisfies(
                      c ->
                          assertThat(c.getMessage())
                              .isEqualTo(
                                  "ValidatingAdmissionPolicy 'only-owned' with binding 'only-owned'"
                                      + " denied request: only owned pods"));
            });
    assertThat(admin.pods().inNamespace("adm").withName("free-1").get()).isNull();
    // another user is not matched
    admin.pods().inNamespace("adm").resource(pod("free-2", Map.of())).create();
  }

  @Test
  void deletesAndEvictionsAreJudgedOnTheStoredPodAndTheEvictionsName() {
    admin.pods().inNamespace("adm").resource(pod("online-1", Map.of())).create();
    admin.pods().inNamespace("adm").resource(pod("owned-2", Map.of("owned", "yes"))).create();
    assertThatThrownBy(() -> robot.pods().inNamespace("adm").withName("online-1").delete())
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
    assertThatThrownBy(() -> robot.pods().inNamespace("adm").withName("online-1").evict())
        .isInstanceOfSatisfying(
            KubernetesClientException.class,
            e ->
                assertThat(e.getStatus().getMessage())
                    .endsWith("denied request: only owned pods are evicted"));
    assertThat(admin.pods().inNamespace("adm").withName("online-1").get()).isNotNull();
    assertThat(robot.pods().inNamespace("adm").withName("owned-2").evict()).isTrue();
  }

  @Test
  void aPatchIsJudgedOnTheObjectAsItWouldBeStoredWithReasonInvalidByDefault() {
    assertThatThrownBy(
            () ->
                robot
                    .nodes()
                    .withName("n1")
                    .patch(
                        PatchContext.of(PatchType.JSON_MERGE),
                        "{\"metadata\":{\"labels\":{\"role\":\"batch\"}}}"))
        .isInstanceOfSatisfying(
            KubernetesClientException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(422);
              assertThat(e.getStatus().getMessage())
                  .endsWith(
                      "denied request: failed expression: request.resource.resource != 'nodes' ||"
                          + " object.metadata.labels == oldObject.metadata.labels");
            });
    assertThat(admin.nodes().withName("n1").get().getMetadata().getLabels())
        .containsEntry("role", "online");
    // annotations are not the policy's business
    robot
        .nodes()
        .withName("n1")
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"metadata\":{\"annotations\":{\"a\":\"b\"}}}");
  }

  @Test
  void aPolicyWhoseCelDoesNotCompileIsRefusedWhenWritten() {
    String broken =
        POLICY
            .substring(0, POLICY.indexOf("---"))
            .replace("name: only-owned", "name: broken")
            .replace("message: only owned pods\n", "message: x\n")
            .replace(
                "request.resource.resource != 'pods' ||",
                "request.resource.resource != 'pods' || (");
    HasMetadata o = (HasMetadata) admin.getKubernetesSerialization().unmarshal(broken);
    assertThatThrownBy(() -> admin.resource(o).create())
        .isInstanceOfSatisfying(
            KubernetesClientException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(422);
              assertThat(e.getStatus().getMessage())
                  .contains(
                      "ValidatingAdmissionPolicy.admissionregistration.k8s.io \"broken\" is invalid")
                  .contains("spec.validations[0].expression");
            });
  }
}
