package io.gleaner.sim.apiserver.auth;

import java.util.List;
import java.util.Map;

/**
 * An authenticated identity, as kube-apiserver's {@code user.Info}.
 *
 * @param name user name ({@code system:serviceaccount:<ns>:<name>} for service accounts)
 * @param uid the identity's UID (a service account's UID), empty when unknown
 * @param groups group names, {@code system:authenticated} included
 * @param extra extra attributes (empty for now)
 */
public record UserInfo(
    String name, String uid, List<String> groups, Map<String, List<String>> extra) {
  public static final String MASTERS = "system:masters";
  public static final String AUTHENTICATED = "system:authenticated";
  public static final String SERVICE_ACCOUNTS = "system:serviceaccounts";
  public static final String SA_PREFIX = "system:serviceaccount:";

  public UserInfo {
    groups = List.copyOf(groups);
    extra = Map.copyOf(extra);
  }

  /** A user with these groups plus {@code system:authenticated}. */
  public static UserInfo of(String name, String uid, List<String> groups) {
    List<String> all = new java.util.ArrayList<>(groups);
    if (!all.contains(AUTHENTICATED)) {
      all.add(AUTHENTICATED);
    }
    return new UserInfo(name, uid, all, Map.of());
  }

  /** The identity of a service account, with kube-apiserver's groups. */
  public static UserInfo serviceAccount(String namespace, String name, String uid) {
    return new UserInfo(
        SA_PREFIX + namespace + ":" + name,
        uid,
        List.of(SERVICE_ACCOUNTS, SERVICE_ACCOUNTS + ":" + namespace, AUTHENTICATED),
        Map.of());
  }

  public boolean inGroup(String group) {
    return groups.contains(group);
  }
}
