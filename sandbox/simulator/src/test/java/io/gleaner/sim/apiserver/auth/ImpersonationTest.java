package io.gleaner.sim.apiserver.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gleaner.sim.apiserver.ApiException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImpersonationTest {
  private static final UserInfo ADMIN = UserInfo.of("admin", "", List.of("system:masters"));

  private static String show(Attributes a) {
    return String.join(
        "|", a.verb(), a.apiGroup(), a.resource(), a.namespace(), a.name(), a.user().name());
  }

  @Test
  void noHeadersNoImpersonation() {
    assertThat(Impersonation.of(ADMIN, List.of(), List.of(), List.of(), false)).isNull();
  }

  @Test
  void aUserWithGroups() {
    Impersonation.Request r =
        Impersonation.of(ADMIN, List.of("alice"), List.of("team-a"), List.of(), false);
    assertThat(r.checks())
        .extracting(ImpersonationTest::show)
        .containsExactly("impersonate||users||alice|admin", "impersonate||groups||team-a|admin");
    assertThat(r.actAs().name()).isEqualTo("alice");
    assertThat(r.actAs().groups()).containsExactly("team-a", "system:authenticated");
  }

  @Test
  void aServiceAccountGetsItsGroupsUnlessGroupsAreGiven() {
    Impersonation.Request r =
        Impersonation.of(
            ADMIN,
            List.of("system:serviceaccount:gleaner-system:broker"),
            List.of(),
            List.of(),
            false);
    assertThat(r.checks())
        .extracting(ImpersonationTest::show)
        .containsExactly("impersonate||serviceaccounts|gleaner-system|broker|admin");
    assertThat(r.actAs().groups())
        .containsExactly(
            "system:serviceaccounts",
            "system:serviceaccounts:gleaner-system",
            "system:authenticated");
    Impersonation.Request withGroup =
        Impersonation.of(
            ADMIN,
            List.of("system:serviceaccount:gleaner-system:broker"),
            List.of("g"),
            List.of("u-1"),
            false);
    assertThat(withGroup.actAs().groups()).containsExactly("g", "system:authenticated");
    assertThat(withGroup.actAs().uid()).isEqualTo("u-1");
    assertThat(withGroup.checks())
        .extracting(ImpersonationTest::show)
        .contains("impersonate|authentication.k8s.io|uids||u-1|admin");
  }

  @Test
  void groupsWithoutAUserAreABadRequest() {
    assertThatThrownBy(() -> Impersonation.of(ADMIN, List.of(), List.of("g"), List.of(), false))
        .isInstanceOf(ApiException.class)
        .satisfies(e -> assertThat(((ApiException) e).code()).isEqualTo(400));
  }
}
