package io.gleaner.sim.apiserver.audit;

import java.time.Instant;
import java.util.List;

/**
 * One entry of the audit trail, as kube-apiserver writes at level {@code Metadata}: who asked
 * (user, groups, impersonated user), what (verb and object reference), the decision and the
 * response code, with no request or response body.
 *
 * @param seq position in the log, from 1, without gaps (a reader sees what it missed)
 * @param stage {@link #RESPONSE_STARTED} (long-running requests: watches and WebSocket upgrades,
 *     when they begin) or {@link #RESPONSE_COMPLETE}
 * @param received when the request arrived, on the cluster's clock (simulated time)
 * @param stageTime when this stage was reached, on the cluster's clock
 * @param user the authenticated user, empty when authentication failed
 * @param groups the authenticated user's groups
 * @param impersonatedUser the user acted as ({@code Impersonate-User}), empty when none
 * @param verb the RBAC verb ({@code get}, {@code list}, {@code watch}, {@code create}, ...), the
 *     lower-case method for non-resource requests
 * @param alsoAuthorized further verbs the request was authorized for (a WebSocket upgrade of {@code
 *     pods/exec} is also checked for {@code create})
 * @param requestUri path and query
 * @param apiGroup the object's API group, empty for the core group
 * @param apiVersion the object's API version
 * @param resource the resource (plural), empty for non-resource requests
 * @param subresource the subresource, empty when none
 * @param namespace the namespace, empty when cluster-scoped
 * @param name the object's name: from the path, from a {@code metadata.name} field selector, or,
 *     for a create, from the object sent (empty when it has only a {@code generateName})
 * @param code the response code (401 failed authentication, 403 refused by RBAC)
 * @param reason the authorization decision's reason (the binding that allowed, or why not)
 * @param userAgent the client's {@code User-Agent}
 */
public record AuditEvent(
    long seq,
    String stage,
    Instant received,
    Instant stageTime,
    String user,
    List<String> groups,
    String impersonatedUser,
    String verb,
    List<String> alsoAuthorized,
    String requestUri,
    String apiGroup,
    String apiVersion,
    String resource,
    String subresource,
    String namespace,
    String name,
    int code,
    String reason,
    String userAgent) {
  public static final String RESPONSE_STARTED = "ResponseStarted";
  public static final String RESPONSE_COMPLETE = "ResponseComplete";

  public AuditEvent {
    groups = List.copyOf(groups);
    alsoAuthorized = List.copyOf(alsoAuthorized);
  }

  /** The user the request acted as: the impersonated one, or else the authenticated one. */
  public String effectiveUser() {
    return impersonatedUser.isEmpty() ? user : impersonatedUser;
  }

  /** {@code pods}, {@code pods/eviction}: resource and subresource as RBAC rules name them. */
  public String combinedResource() {
    return subresource.isEmpty() ? resource : resource + "/" + subresource;
  }

  /** Whether this is a request for an API resource (not a path like {@code /healthz}). */
  public boolean resourceRequest() {
    return !resource.isEmpty();
  }

  /** 2xx or 101. */
  public boolean succeeded() {
    return code == 101 || code >= 200 && code < 300;
  }

  /** This event with its position in the log. */
  AuditEvent withSeq(long newSeq) {
    return new AuditEvent(
        newSeq,
        stage,
        received,
        stageTime,
        user,
        groups,
        impersonatedUser,
        verb,
        alsoAuthorized,
        requestUri,
        apiGroup,
        apiVersion,
        resource,
        subresource,
        namespace,
        name,
        code,
        reason,
        userAgent);
  }

  /** One line, as the audit log's JSON would say it in short. */
  @Override
  public String toString() {
    return "#"
        + seq
        + " "
        + stageTime
        + " "
        + effectiveUser()
        + " "
        + verb
        + " "
        + (resourceRequest()
            ? (apiGroup.isEmpty() ? "" : apiGroup + "/")
                + combinedResource()
                + (namespace.isEmpty() ? "" : " ns=" + namespace)
                + (name.isEmpty() ? "" : " name=" + name)
            : requestUri)
        + " -> "
        + code;
  }
}
