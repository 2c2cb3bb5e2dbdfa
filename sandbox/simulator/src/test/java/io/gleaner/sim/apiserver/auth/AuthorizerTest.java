package io.gleaner.sim.apiserver.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.apiserver.ObjectStore;
import io.gleaner.sim.apiserver.ResourceType;
import io.gleaner.sim.apiserver.ResourceTypes;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** RBAC decisions and reasons from the Roles and bindings in a store. */
class AuthorizerTest {
  private static final ObjectMapper M = new ObjectMapper();
  private static final UserInfo BROKER = UserInfo.serviceAccount("gleaner-system", "broker", "u");
  private ObjectStore store;
  private Authorizer authorizer;

  @BeforeEach
  void setUp() {
    store = new ObjectStore(new FakeClock(), ResourceTypes.builtIn());
    for (String ns : List.of("gleaner-system", "default", "team-a")) {
      create(ResourceTypes.NAMESPACES, null, "{'metadata':{'name':'" + ns + "'}}");
    }
    BootstrapRbac.install(store);
    authorizer = new Authorizer(store);
  }

  private void create(ResourceType type, String ns, String json) {
    try {
      store.create(type, ns, (ObjectNode) M.readTree(json.replace('\'', '"')));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private Decision check(UserInfo u, String verb, String resource, String ns) {
    return authorizer.authorize(Attributes.resource(u, verb, "", resource, "", ns, ""));
  }

  @Test
  void mastersMayDoAnythingAndNobodyElseByDefault() {
    UserInfo admin = UserInfo.of("kubernetes-admin", "", List.of("system:masters"));
    assertThat(check(admin, "delete", "nodes", "")).isEqualTo(Decision.allow(""));
    assertThat(check(BROKER, "list", "pods", "default")).isEqualTo(Decision.deny(""));
    // the bootstrap roles: discovery and self reviews for every authenticated user
    assertThat(authorizer.authorize(Attributes.nonResource(BROKER, "get", "/apis/apps/v1")))
        .isEqualTo(
            Decision.allow(
                "RBAC: allowed by ClusterRoleBinding \"system:discovery\" of ClusterRole"
                    + " \"system:discovery\" to Group \"system:authenticated\""));
    assertThat(
            authorizer
                .authorize(
                    Attributes.resource(
                        BROKER,
                        "create",
                        "authorization.k8s.io",
                        "selfsubjectaccessreviews",
                        "",
                        "",
                        ""))
                .allowed())
        .isTrue();
    assertThat(authorizer.authorize(Attributes.nonResource(BROKER, "get", "/metrics")).allowed())
        .isFalse();
  }

  @Test
  void clusterRoleBindingGrantsEverywhereRoleBindingOnlyInItsNamespace() {
    create(
        ResourceTypes.CLUSTER_ROLES,
        null,
        "{'metadata':{'name':'pod-reader'},'rules':[{'verbs':['get','list','watch'],"
            + "'apiGroups':[''],'resources':['pods']}]}");
    create(
        ResourceTypes.ROLE_BINDINGS,
        "team-a",
        "{'metadata':{'name':'read'},'roleRef':{'kind':'ClusterRole','name':'pod-reader'},"
            + "'subjects':[{'kind':'ServiceAccount','name':'broker','namespace':'gleaner-system'}]}");
    assertThat(check(BROKER, "list", "pods", "team-a"))
        .isEqualTo(
            Decision.allow(
                "RBAC: allowed by RoleBinding \"read/team-a\" of ClusterRole \"pod-reader\" to"
                    + " ServiceAccount \"broker/gleaner-system\""));
    assertThat(check(BROKER, "list", "pods", "default").allowed()).isFalse();
    assertThat(check(BROKER, "list", "pods", "").allowed()).isFalse();

    create(
        ResourceTypes.CLUSTER_ROLE_BINDINGS,
        null,
        "{'metadata':{'name':'read-all'},'roleRef':{'kind':'ClusterRole','name':'pod-reader'},"
            + "'subjects':[{'kind':'Group','name':'system:serviceaccounts:gleaner-system'}]}");
    assertThat(check(BROKER, "list", "pods", ""))
        .isEqualTo(
            Decision.allow(
                "RBAC: allowed by ClusterRoleBinding \"read-all\" of ClusterRole \"pod-reader\" to"
                    + " Group \"system:serviceaccounts:gleaner-system\""));
    assertThat(check(BROKER, "watch", "pods", "default").allowed()).isTrue();
    assertThat(check(BROKER, "delete", "pods", "default").allowed()).isFalse();
  }

  @Test
  void roleBindingToARoleUsesTheRoleOfItsNamespace() {
    create(
        ResourceTypes.ROLES,
        "team-a",
        "{'metadata':{'name':'cm'},'rules':[{'verbs':['*'],'apiGroups':[''],"
            + "'resources':['configmaps']}]}");
    create(
        ResourceTypes.ROLE_BINDINGS,
        "default",
        "{'metadata':{'name':'cm'},'roleRef':{'kind':'Role','name':'cm'},"
            + "'subjects':[{'kind':'ServiceAccount','name':'broker','namespace':'gleaner-system'}]}");
    // the Role named "cm" is in team-a, not in default: the binding grants nothing
    assertThat(check(BROKER, "get", "configmaps", "default"))
        .isEqualTo(Decision.deny("RBAC: role.rbac.authorization.k8s.io \"cm\" not found"));
    create(
        ResourceTypes.ROLE_BINDINGS,
        "team-a",
        "{'metadata':{'name':'cm'},'roleRef':{'kind':'Role','name':'cm'},"
            + "'subjects':[{'kind':'ServiceAccount','name':'broker','namespace':'gleaner-system'}]}");
    assertThat(check(BROKER, "get", "configmaps", "team-a").allowed()).isTrue();
  }

  @Test
  void missingRolesOfApplyingBindingsAreNamedAndOthersAreNot() {
    create(
        ResourceTypes.CLUSTER_ROLE_BINDINGS,
        null,
        "{'metadata':{'name':'a'},'roleRef':{'kind':'ClusterRole','name':'gone-1'},"
            + "'subjects':[{'kind':'User','name':'system:serviceaccount:gleaner-system:broker'}]}");
    create(
        ResourceTypes.CLUSTER_ROLE_BINDINGS,
        null,
        "{'metadata':{'name':'b'},'roleRef':{'kind':'ClusterRole','name':'gone-2'},"
            + "'subjects':[{'kind':'User','name':'someone-else'}]}");
    assertThat(check(BROKER, "list", "nodes", "").reason())
        .isEqualTo("RBAC: clusterrole.rbac.authorization.k8s.io \"gone-1\" not found");
  }

  @Test
  void rulesOfASubjectForRulesReviews() {
    create(
        ResourceTypes.ROLES,
        "team-a",
        "{'metadata':{'name':'cm'},'rules':[{'verbs':['get'],'apiGroups':[''],"
            + "'resources':['configmaps']}]}");
    create(
        ResourceTypes.ROLE_BINDINGS,
        "team-a",
        "{'metadata':{'name':'cm'},'roleRef':{'kind':'Role','name':'cm'},"
            + "'subjects':[{'kind':'ServiceAccount','name':'broker','namespace':'gleaner-system'}]}");
    assertThat(authorizer.rules(BROKER, "team-a").toString()).contains("configmaps", "/healthz");
    assertThat(authorizer.rules(BROKER, "default").toString()).doesNotContain("configmaps");
  }
}
