package io.gleaner.sim.apiserver.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class RbacRulesTest {
  private static final ObjectMapper M = new ObjectMapper();
  private static final UserInfo ALICE = UserInfo.of("alice", "", List.of("team-a"));
  private static final UserInfo SA = UserInfo.serviceAccount("gleaner-system", "broker", "u1");

  private static JsonNode json(String s) {
    try {
      return M.readTree(s.replace('\'', '"'));
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static Attributes res(
      String verb, String group, String resource, String sub, String ns, String name) {
    return Attributes.resource(ALICE, verb, group, resource, sub, ns, name);
  }

  private static boolean allows(String rule, Attributes a) {
    return RbacRules.allows(json(rule), a);
  }

  @Test
  void verbsMatchExactlyOrByStar() {
    String rule = "{'verbs':['get','list'],'apiGroups':[''],'resources':['pods']}";
    assertThat(allows(rule, res("get", "", "pods", "", "ns", "p"))).isTrue();
    assertThat(allows(rule, res("list", "", "pods", "", "ns", ""))).isTrue();
    assertThat(allows(rule, res("watch", "", "pods", "", "ns", ""))).isFalse();
    assertThat(allows(rule, res("delete", "", "pods", "", "ns", "p"))).isFalse();
    String star = "{'verbs':['*'],'apiGroups':[''],'resources':['pods']}";
    assertThat(allows(star, res("deletecollection", "", "pods", "", "ns", ""))).isTrue();
  }

  @Test
  void apiGroupsMatchExactlyOrByStar() {
    String core = "{'verbs':['get'],'apiGroups':[''],'resources':['deployments']}";
    assertThat(allows(core, res("get", "apps", "deployments", "", "ns", "d"))).isFalse();
    String apps = "{'verbs':['get'],'apiGroups':['apps'],'resources':['deployments']}";
    assertThat(allows(apps, res("get", "apps", "deployments", "", "ns", "d"))).isTrue();
    String any = "{'verbs':['get'],'apiGroups':['*'],'resources':['deployments']}";
    assertThat(allows(any, res("get", "apps", "deployments", "", "ns", "d"))).isTrue();
    String none = "{'verbs':['get'],'resources':['deployments']}";
    assertThat(allows(none, res("get", "apps", "deployments", "", "ns", "d"))).isFalse();
  }

  @Test
  void subresourcesNeedTheirOwnEntryOrStarSlash() {
    String pods = "{'verbs':['*'],'apiGroups':[''],'resources':['pods']}";
    assertThat(allows(pods, res("create", "", "pods", "exec", "ns", "p"))).isFalse();
    assertThat(allows(pods, res("get", "", "pods", "log", "ns", "p"))).isFalse();
    String exec = "{'verbs':['create'],'apiGroups':[''],'resources':['pods/exec']}";
    assertThat(allows(exec, res("create", "", "pods", "exec", "ns", "p"))).isTrue();
    assertThat(allows(exec, res("create", "", "pods", "", "ns", ""))).isFalse();
    assertThat(allows(exec, res("create", "", "pods", "attach", "ns", "p"))).isFalse();
    String anyStatus = "{'verbs':['update'],'apiGroups':['*'],'resources':['*/status']}";
    assertThat(allows(anyStatus, res("update", "", "nodes", "status", "", "n"))).isTrue();
    assertThat(allows(anyStatus, res("update", "apps", "deployments", "status", "ns", "d")))
        .isTrue();
    assertThat(allows(anyStatus, res("update", "", "nodes", "", "", "n"))).isFalse();
    assertThat(allows(anyStatus, res("update", "", "pods", "statusx", "ns", "p"))).isFalse();
    // "*/status" is no prefix wildcard: "pods/*" is not special
    String podsStar = "{'verbs':['get'],'apiGroups':[''],'resources':['pods/*']}";
    assertThat(allows(podsStar, res("get", "", "pods", "log", "ns", "p"))).isFalse();
    String all = "{'verbs':['get'],'apiGroups':[''],'resources':['*']}";
    assertThat(allows(all, res("get", "", "pods", "log", "ns", "p"))).isTrue();
  }

  @Test
  void resourceNamesRestrictToNamedObjectsAndNeverMatchWithoutAName() {
    String rule =
        "{'verbs':['get','list','update'],'apiGroups':[''],'resources':['configmaps'],"
            + "'resourceNames':['gleaner-config']}";
    assertThat(allows(rule, res("get", "", "configmaps", "", "ns", "gleaner-config"))).isTrue();
    assertThat(allows(rule, res("update", "", "configmaps", "", "ns", "gleaner-config"))).isTrue();
    assertThat(allows(rule, res("get", "", "configmaps", "", "ns", "other"))).isFalse();
    assertThat(allows(rule, res("list", "", "configmaps", "", "ns", ""))).isFalse();
    String empty =
        "{'verbs':['list'],'apiGroups':[''],'resources':['configmaps'],'resourceNames':[]}";
    assertThat(allows(empty, res("list", "", "configmaps", "", "ns", ""))).isTrue();
  }

  @Test
  void nonResourceUrlsMatchExactlyOrByTrailingStar() {
    String rule = "{'verbs':['get'],'nonResourceURLs':['/healthz','/apis/*']}";
    assertThat(allows(rule, Attributes.nonResource(ALICE, "get", "/healthz"))).isTrue();
    assertThat(allows(rule, Attributes.nonResource(ALICE, "get", "/healthz/etcd"))).isFalse();
    assertThat(allows(rule, Attributes.nonResource(ALICE, "get", "/apis/apps/v1"))).isTrue();
    assertThat(allows(rule, Attributes.nonResource(ALICE, "get", "/apis"))).isFalse();
    assertThat(allows(rule, Attributes.nonResource(ALICE, "post", "/healthz"))).isFalse();
    String star = "{'verbs':['*'],'nonResourceURLs':['*']}";
    assertThat(allows(star, Attributes.nonResource(ALICE, "get", "/metrics"))).isTrue();
    // a resource rule never allows a path, a path rule never a resource
    String resource = "{'verbs':['*'],'apiGroups':['*'],'resources':['*']}";
    assertThat(allows(resource, Attributes.nonResource(ALICE, "get", "/metrics"))).isFalse();
    assertThat(allows(star, res("get", "", "pods", "", "ns", "p"))).isFalse();
  }

  @Test
  void subjectsMatchUsersGroupsAndServiceAccounts() {
    assertThat(RbacRules.appliesTo(json("{'kind':'User','name':'alice'}"), ALICE, null)).isTrue();
    assertThat(RbacRules.appliesTo(json("{'kind':'User','name':'bob'}"), ALICE, null)).isFalse();
    assertThat(RbacRules.appliesTo(json("{'kind':'Group','name':'team-a'}"), ALICE, null)).isTrue();
    assertThat(
            RbacRules.appliesTo(
                json("{'kind':'Group','name':'system:authenticated'}"), ALICE, null))
        .isTrue();
    assertThat(
            RbacRules.appliesTo(
                json("{'kind':'ServiceAccount','name':'broker','namespace':'gleaner-system'}"),
                SA,
                null))
        .isTrue();
    // namespace defaults to the binding's
    assertThat(
            RbacRules.appliesTo(
                json("{'kind':'ServiceAccount','name':'broker'}"), SA, "gleaner-system"))
        .isTrue();
    assertThat(RbacRules.appliesTo(json("{'kind':'ServiceAccount','name':'broker'}"), SA, "other"))
        .isFalse();
    assertThat(RbacRules.appliesTo(json("{'kind':'ServiceAccount','name':'broker'}"), SA, null))
        .isFalse();
    assertThat(
            RbacRules.appliesTo(json("{'kind':'Group','name':'system:serviceaccounts'}"), SA, null))
        .isTrue();
    assertThat(
            RbacRules.appliesTo(
                json("{'kind':'Group','name':'system:serviceaccounts:gleaner-system'}"), SA, null))
        .isTrue();
    // a user named like a service account is not one by a User subject with another name
    assertThat(
            RbacRules.appliesTo(
                json("{'kind':'User','name':'system:serviceaccount:gleaner-system:broker'}"),
                SA,
                null))
        .isTrue();
  }

  @Test
  void subjectDescriptionsAsRbacReasonsSayThem() {
    assertThat(RbacRules.describe(json("{'kind':'ServiceAccount','name':'b'}"), "ns"))
        .isEqualTo("ServiceAccount \"b/ns\"");
    assertThat(
            RbacRules.describe(json("{'kind':'ServiceAccount','name':'b','namespace':'x'}"), "ns"))
        .isEqualTo("ServiceAccount \"b/x\"");
    assertThat(RbacRules.describe(json("{'kind':'Group','name':'g'}"), "ns"))
        .isEqualTo("Group \"g\"");
  }
}
