package io.gleaner.sim.apiserver.auth;

import io.gleaner.sim.apiserver.ApiException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * kube-apiserver's impersonation ({@code Impersonate-User}, {@code Impersonate-Group}, {@code
 * Impersonate-Uid} headers, as {@code kubectl --as/--as-group} sends them): the requester must be
 * allowed to {@code impersonate} each of {@code users/<name>} (or {@code serviceaccounts/<name>} in
 * the account's namespace), {@code groups/<name>} and {@code uids/<uid>}; the request then acts as
 * the impersonated user, with {@code system:authenticated} added (and, for a service account
 * without impersonated groups, its service account groups). {@code Impersonate-Extra-*} headers are
 * not supported (400).
 */
public final class Impersonation {
  private Impersonation() {}

  /** What impersonation asks: the permission checks and the user to act as. */
  public record Request(List<Attributes> checks, UserInfo actAs) {}

  /**
   * The impersonation a request asks for, or null when it asks for none.
   *
   * @param requester the authenticated user
   * @param users values of {@code Impersonate-User}
   * @param groups values of {@code Impersonate-Group}
   * @param uids values of {@code Impersonate-Uid}
   * @param hasExtra whether any {@code Impersonate-Extra-} header was sent
   */
  public static Request of(
      UserInfo requester,
      List<String> users,
      List<String> groups,
      List<String> uids,
      boolean hasExtra) {
    if (users.isEmpty() && groups.isEmpty() && uids.isEmpty() && !hasExtra) {
      return null;
    }
    if (users.isEmpty()) {
      throw ApiException.badRequest(
          "requested impersonation of groups, extra or uid without impersonating a user");
    }
    if (users.size() > 1 || uids.size() > 1) {
      throw ApiException.badRequest("only one user and one uid can be impersonated");
    }
    if (hasExtra) {
      throw ApiException.badRequest(
          "the simulated API server does not support Impersonate-Extra headers");
    }
    String name = users.get(0);
    List<Attributes> checks = new ArrayList<>();
    List<String> actGroups = new ArrayList<>(groups);
    if (name.startsWith(UserInfo.SA_PREFIX)
        && name.substring(UserInfo.SA_PREFIX.length()).split(":").length == 2) {
      String[] nsName = name.substring(UserInfo.SA_PREFIX.length()).split(":");
      checks.add(
          Attributes.resource(
              requester, "impersonate", "", "serviceaccounts", "", nsName[0], nsName[1]));
      if (groups.isEmpty()) {
        actGroups.add(UserInfo.SERVICE_ACCOUNTS);
        actGroups.add(UserInfo.SERVICE_ACCOUNTS + ":" + nsName[0]);
      }
    } else {
      checks.add(Attributes.resource(requester, "impersonate", "", "users", "", "", name));
    }
    for (String g : groups) {
      checks.add(Attributes.resource(requester, "impersonate", "", "groups", "", "", g));
    }
    String uid = uids.isEmpty() ? "" : uids.get(0);
    if (!uid.isEmpty()) {
      checks.add(
          Attributes.resource(
              requester, "impersonate", "authentication.k8s.io", "uids", "", "", uid));
    }
    if (!name.equals("system:anonymous")
        && !actGroups.contains(UserInfo.AUTHENTICATED)
        && !actGroups.contains("system:unauthenticated")) {
      actGroups.add(UserInfo.AUTHENTICATED);
    }
    return new Request(checks, new UserInfo(name, uid, actGroups, Map.of()));
  }
}
