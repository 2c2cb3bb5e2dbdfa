package io.gleaner.sim.apiserver.auth;

/**
 * What a request asks to do, as kube-apiserver's {@code authorizer.Attributes}: a resource request
 * (verb on group/resource/subresource, namespace, name) or a non-resource request (verb on a path).
 *
 * @param user who asks
 * @param verb {@code get}, {@code list}, {@code watch}, {@code create}, {@code update}, {@code
 *     patch}, {@code delete}, {@code deletecollection}; for non-resource requests the lower-case
 *     HTTP method
 * @param resourceRequest whether the request is for an API resource
 * @param apiGroup API group, empty for the core group
 * @param apiVersion API version
 * @param resource resource (plural), empty for non-resource requests
 * @param subresource subresource, empty when none
 * @param namespace namespace, empty for cluster-scoped requests
 * @param name object name, empty when none
 * @param path the request path
 */
public record Attributes(
    UserInfo user,
    String verb,
    boolean resourceRequest,
    String apiGroup,
    String apiVersion,
    String resource,
    String subresource,
    String namespace,
    String name,
    String path) {

  /** A resource request. */
  public static Attributes resource(
      UserInfo user,
      String verb,
      String apiGroup,
      String resource,
      String subresource,
      String namespace,
      String name) {
    return new Attributes(
        user,
        verb,
        true,
        nz(apiGroup),
        "",
        nz(resource),
        nz(subresource),
        nz(namespace),
        nz(name),
        "");
  }

  /** A non-resource request. */
  public static Attributes nonResource(UserInfo user, String verb, String path) {
    return new Attributes(user, verb, false, "", "", "", "", "", "", path);
  }

  public Attributes withVerb(String newVerb) {
    return new Attributes(
        user,
        newVerb,
        resourceRequest,
        apiGroup,
        apiVersion,
        resource,
        subresource,
        namespace,
        name,
        path);
  }

  public Attributes withUser(UserInfo newUser) {
    return new Attributes(
        newUser,
        verb,
        resourceRequest,
        apiGroup,
        apiVersion,
        resource,
        subresource,
        namespace,
        name,
        path);
  }

  /** {@code pods} or {@code pods/exec}. */
  public String combinedResource() {
    return subresource.isEmpty() ? resource : resource + "/" + subresource;
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
