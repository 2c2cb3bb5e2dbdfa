package io.gleaner.sim.apiserver.auth;

import io.gleaner.sim.apiserver.ApiException;
import io.gleaner.sim.apiserver.ObjectStore;
import io.gleaner.sim.apiserver.audit.AuditLog;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.TrustOptions;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509TrustManager;

/**
 * Authentication and authorization of one simulated API server, as a kube-apiserver started with
 * {@code --client-ca-file}, {@code --anonymous-auth=false}, {@code --authorization-mode=RBAC} and a
 * service account token issuer: TLS with a serving certificate from the cluster CA, client
 * certificates requested (not required), every request authenticated (401 otherwise, {@code
 * /healthz}, {@code /livez}, {@code /readyz} and {@code /version} included) and then authorized
 * (403 with kube-apiserver's message), impersonation headers honoured ({@link Impersonation}). Also
 * holds the credentials the simulator hands out: the admin client certificate ({@code
 * kubernetes-admin}, {@code system:masters}) and the client certificate the API server presents to
 * kubelets ({@code kube-apiserver-kubelet-client}). Every request is recorded in an {@link
 * AuditLog}, as kube-apiserver's audit log at level {@code Metadata}.
 */
public final class ApiSecurity implements AutoCloseable {
  /** The user of the admin credentials. */
  public static final String ADMIN_USER = "kubernetes-admin";

  /** The user the API server presents to kubelets (kubeadm's name). */
  public static final String KUBELET_CLIENT_USER = "kube-apiserver-kubelet-client";

  private final ClusterCa ca;
  private final ClusterCa.Issued serving;
  private final ClusterCa.Issued admin;
  private final ClusterCa.Issued kubeletClient;
  private final ServiceAccountTokens tokens;
  private final Authenticator authenticator;
  private final Authorizer authorizer;
  private final AuthApi api;
  private final TokenController tokenController;
  private final RootCaPublisher rootCaPublisher;
  private final ObjectStore store;
  private final java.time.Clock clock;
  private final AuditLog auditLog = new AuditLog(AuditLog.DEFAULT_CAPACITY);

  /**
   * Creates the cluster CA and credentials, and starts the token controller and the root CA
   * publisher (the {@code kube-root-ca.crt} ConfigMap of every namespace) on {@code executor}.
   */
  public ApiSecurity(String clusterName, ObjectStore store, Executor executor) {
    this.store = store;
    this.clock = store.clock();
    this.ca = ClusterCa.create(clusterName + "-ca");
    this.serving =
        ca.issueServing(
            "kube-apiserver",
            List.of(
                "127.0.0.1",
                "localhost",
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local"));
    this.admin = ca.issueClient(ADMIN_USER, List.of(UserInfo.MASTERS));
    this.kubeletClient = ca.issueClient(KUBELET_CLIENT_USER, List.of(UserInfo.MASTERS));
    this.tokens = new ServiceAccountTokens(store);
    this.authenticator = new Authenticator(ca, tokens);
    this.authorizer = new Authorizer(store);
    this.api = new AuthApi(tokens, authorizer);
    this.tokenController = new TokenController(store, ca.certificatePem(), executor);
    this.rootCaPublisher = new RootCaPublisher(store, ca.certificatePem(), executor);
  }

  public ClusterCa ca() {
    return ca;
  }

  /** The admin client certificate ({@code CN=kubernetes-admin, O=system:masters}). */
  public ClusterCa.Issued admin() {
    return admin;
  }

  /**
   * The client certificate the API server presents to kubelet endpoints ({@code
   * --kubelet-client-certificate}).
   */
  public ClusterCa.Issued kubeletClient() {
    return kubeletClient;
  }

  public Authenticator authenticator() {
    return authenticator;
  }

  public Authorizer authorizer() {
    return authorizer;
  }

  /**
   * The audit trail: every request this API server answered, at level {@code Metadata}, bounded
   * ({@link AuditLog#DEFAULT_CAPACITY} events).
   */
  public AuditLog audit() {
    return auditLog;
  }

  public AuthApi api() {
    return api;
  }

  /** TLS on {@code options}: serving certificate, client certificates requested. */
  public HttpServerOptions configure(HttpServerOptions options) {
    return options
        .setSsl(true)
        .setKeyCertOptions(
            new PemKeyCertOptions()
                .addCertValue(Buffer.buffer(serving.certificatePem()))
                .addKeyValue(Buffer.buffer(serving.pkcs8KeyPem())))
        .setClientAuth(ClientAuth.REQUEST)
        // the TLS layer takes any client certificate; the authenticator checks it against the CA
        // and answers 401, as kube-apiserver does
        .setTrustOptions(TrustOptions.wrap(new AdvertiseCaTrustManager(ca.certificate())));
  }

  /** {@code kubeletClient} as Vert.x client key material. */
  public PemKeyCertOptions kubeletClientKeyCert() {
    return new PemKeyCertOptions()
        .addCertValue(Buffer.buffer(kubeletClient.certificatePem()))
        .addKeyValue(Buffer.buffer(kubeletClient.pkcs8KeyPem()));
  }

  /**
   * Authenticates and authorizes a request; returns its user.
   *
   * @throws ApiException 401 {@code Unauthorized} or 403 {@code Forbidden}
   */
  public UserInfo admit(HttpServerRequest req) {
    return admit(req, null);
  }

  /**
   * As {@link #admit(HttpServerRequest)}, and records the request in the {@link #audit()} trail
   * when its response completes (or starts, for watches and WebSocket upgrades); {@code body} (may
   * be null) names the object of a pod create.
   */
  public UserInfo admit(HttpServerRequest req, Buffer body) {
    RequestAudit audit = new RequestAudit(auditLog, clock, store.types(), req, body);
    UserInfo authenticated =
        authenticator
            .authenticate(req.getHeader("Authorization"), peerCertificates(req.sslSession()))
            .orElse(null);
    if (authenticated == null) {
      audit.refused(null, null, null, 401, "");
      throw new ApiException(401, "Unauthorized", "Unauthorized");
    }
    UserInfo user = authenticated;
    Impersonation.Request impersonation =
        Impersonation.of(
            user,
            req.headers().getAll("Impersonate-User"),
            req.headers().getAll("Impersonate-Group"),
            req.headers().getAll("Impersonate-Uid"),
            req.headers().names().stream()
                .anyMatch(h -> h.regionMatches(true, 0, "Impersonate-Extra-", 0, 18)));
    if (impersonation != null) {
      for (Attributes a : impersonation.checks()) {
        Decision d = authorizer.authorize(a);
        if (!d.allowed()) {
          audit.refused(authenticated, null, a, 403, d.reason());
          throw Forbidden.of(a, d.reason());
        }
      }
      user = impersonation.actAs();
    }
    String upgrade = req.getHeader("Upgrade");
    List<Attributes> checks =
        RequestInfo.checks(
            user,
            req.method().name(),
            req.path(),
            req.params()::get,
            upgrade != null && upgrade.equalsIgnoreCase("websocket"));
    String reason = "";
    for (Attributes a : checks) {
      Decision d = authorizer.authorize(a);
      if (!d.allowed()) {
        audit.refused(authenticated, user, a, 403, d.reason());
        throw Forbidden.of(a, d.reason());
      }
      reason = reason.isEmpty() ? d.reason() : reason;
    }
    audit.admitted(authenticated, user, checks, reason);
    return user;
  }

  private static List<Certificate> peerCertificates(SSLSession session) {
    if (session == null) {
      return List.of();
    }
    try {
      return Arrays.asList(session.getPeerCertificates());
    } catch (SSLPeerUnverifiedException e) {
      return List.of();
    }
  }

  /** The user of a token, as {@code TokenReview} and requests see it. */
  public Optional<UserInfo> tokenUser(String token) {
    return authenticator.authenticate("Bearer " + token, List.of());
  }

  @Override
  public void close() {
    tokenController.close();
    rootCaPublisher.close();
  }

  /**
   * Accepts every client chain (verification is the authenticator's) and names the cluster CA as
   * acceptable issuer, so clients pick a certificate from it.
   */
  private record AdvertiseCaTrustManager(X509Certificate ca) implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[] {ca};
    }
  }
}
