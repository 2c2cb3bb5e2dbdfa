package io.gleaner.vk.kubelet;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.tls.ReloadingKeyManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertPathValidator;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubelet API authentication and authorization, as the kubelet does with {@code --client-ca-file},
 * {@code --authentication-token-webhook}, {@code --anonymous-auth} and {@code
 * --authorization-mode=Webhook}.
 *
 * <p>Authentication, first that succeeds: a TLS client certificate that chains to the client CA
 * (user = CN, groups = O; what kube-apiserver presents with {@code --kubelet-client-certificate}
 * when it relays {@code kubectl logs/exec}); a bearer token checked with a TokenReview; when
 * anonymous access is on, {@code system:anonymous} in {@code system:unauthenticated}. Else 401.
 *
 * <p>Authorization: a SubjectAccessReview for the user and groups on {@code nodes/<subresource>} of
 * this node ({@code /stats} → {@code nodes/stats}, {@code /metrics} → {@code nodes/metrics}, {@code
 * /logs} → {@code nodes/log}, everything else, {@code /containerLogs}, {@code /pods}, {@code
 * /exec}, → {@code nodes/proxy}); denied is 403.
 *
 * <p>Answers are cached as the kubelet's webhooks cache them: an authenticated token for 2 minutes
 * (a rejected one is asked again), an allowed review for 5 minutes, a denied one for 30 seconds;
 * each cache holds at most {@value #CACHE_SIZE} answers.
 */
public final class KubeletAuth {
  private static final Logger log = LoggerFactory.getLogger(KubeletAuth.class);
  static final Duration AUTHENTICATED_TTL = Duration.ofMinutes(2);
  static final Duration ALLOWED_TTL = Duration.ofMinutes(5);
  static final Duration DENIED_TTL = Duration.ofSeconds(30);
  static final int CACHE_SIZE = 4096;
  static final String ANONYMOUS = "system:anonymous";
  static final String UNAUTHENTICATED = "system:unauthenticated";
  static final String AUTHENTICATED = "system:authenticated";

  /** The answer for one request. */
  public sealed interface Decision {
    record Allowed(String user) implements Decision {}

    record Denied(int status, String message) implements Decision {}
  }

  /** An authenticated user. */
  record User(String name, String uid, List<String> groups) {}

  /** One authorization question: who asks for what on this node. */
  private record Question(String user, String uid, List<String> groups, String verb, String sub) {}

  private final KubernetesClient meta;
  private final String nodeName;

  /** The client CAs and their trust anchors, replaced together. */
  private record ClientCas(List<X509Certificate> cas, Set<TrustAnchor> anchors) {
    static ClientCas of(List<X509Certificate> cas) {
      return new ClientCas(
          List.copyOf(cas),
          cas.stream().map(c -> new TrustAnchor(c, null)).collect(Collectors.toSet()));
    }
  }

  private volatile ClientCas clientCas;
  private final boolean anonymous;
  private final boolean allowAll;
  private final ReviewCache<String, User> tokens = new ReviewCache<>(CACHE_SIZE, System::nanoTime);
  private final ReviewCache<Question, Boolean> decisions =
      new ReviewCache<>(CACHE_SIZE, System::nanoTime);

  private KubeletAuth(
      KubernetesClient meta,
      String nodeName,
      List<X509Certificate> clientCas,
      boolean anonymous,
      boolean allowAll) {
    this.meta = meta;
    this.nodeName = nodeName;
    this.clientCas = ClientCas.of(clientCas);
    this.anonymous = anonymous;
    this.allowAll = allowAll;
  }

  /** Tokens + SubjectAccessReview against the metadata cluster; no client CA, anonymous refused. */
  public static KubeletAuth webhook(KubernetesClient meta, String nodeName) {
    return webhook(meta, nodeName, List.of(), false);
  }

  /**
   * Client certificates verified against {@code clientCas} (none: client certificates are not asked
   * for), then tokens, then, if {@code anonymous}, {@code system:anonymous}; every user authorized
   * with a SubjectAccessReview.
   */
  public static KubeletAuth webhook(
      KubernetesClient meta, String nodeName, List<X509Certificate> clientCas, boolean anonymous) {
    if (anonymous) {
      log.warn(
          "kubelet API of node {}: anonymous authentication on; anonymous requests are authorized"
              + " as system:anonymous",
          nodeName);
    }
    return new KubeletAuth(meta, nodeName, clientCas, anonymous, false);
  }

  /** Tests only: every request is allowed, nothing is asked. Says so in the log. */
  public static KubeletAuth anonymous(String nodeName) {
    log.warn(
        "kubelet API of node {}: every request is allowed without authentication or authorization",
        nodeName);
    return new KubeletAuth(null, nodeName, List.of(), true, true);
  }

  /**
   * The certificates of a PEM text (a CA bundle).
   *
   * @throws IllegalArgumentException when the text cannot be read or holds no certificate
   */
  public static List<X509Certificate> certificates(String pem) {
    List<X509Certificate> certs = List.of(ReloadingKeyManager.certificates(pem));
    if (certs.isEmpty()) {
      throw new IllegalArgumentException("the client CA bundle holds no PEM certificate");
    }
    return certs;
  }

  /**
   * The certificates of a PEM file (a CA bundle, as {@code --client-ca-file} or the {@code ca.crt}
   * of the {@code kube-root-ca.crt} ConfigMap).
   *
   * @throws IllegalArgumentException when the file cannot be read or holds no certificate
   */
  public static List<X509Certificate> readCertificates(Path pem) {
    try {
      return certificates(Files.readString(pem, StandardCharsets.UTF_8));
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "cannot read the client CA " + pem + ": " + e.getMessage(), e);
    }
  }

  /** The CAs client certificates are verified against; empty = client certificates not asked. */
  public List<X509Certificate> clientCas() {
    return clientCas.cas();
  }

  /**
   * Verifies the client certificates of the requests that arrive after this returns against {@code
   * cas} (a rotated {@code --client-ca-file}, as a kubelet follows its file). Only where client
   * certificates are asked for: an API started without a client CA keeps refusing them.
   *
   * @throws IllegalArgumentException when {@code cas} is empty; the CAs trusted so far stay
   */
  public void trustClientCas(List<X509Certificate> cas) {
    if (cas.isEmpty()) {
      throw new IllegalArgumentException("the client CA bundle holds no certificate");
    }
    if (clientCas.cas().isEmpty()) {
      throw new IllegalStateException(
          "the kubelet API of " + nodeName + " was started without a client CA");
    }
    clientCas = ClientCas.of(cas);
  }

  /** {@link #authorize(List, String, String, String)} without a client certificate. */
  public Decision authorize(String bearerToken, String method, String path) {
    return authorize(List.of(), bearerToken, method, path);
  }

  /**
   * Authenticates and authorizes one request.
   *
   * @param peerCertificates the TLS client's chain, leaf first; empty when it sent none
   */
  public Decision authorize(
      List<? extends Certificate> peerCertificates,
      String bearerToken,
      String method,
      String path) {
    if (allowAll) {
      return new Decision.Allowed(ANONYMOUS);
    }
    List<String> failures = new ArrayList<>();
    User user = null;
    if (!peerCertificates.isEmpty()) {
      String why = null;
      if (clientCas.cas().isEmpty()) {
        why = "client certificates are not accepted (no client CA configured)";
      } else {
        try {
          user = certificateUser(peerCertificates);
        } catch (GeneralSecurityException e) {
          why = "client certificate not signed by the client CA: " + e.getMessage();
        }
      }
      if (why != null) {
        failures.add(why);
      }
    }
    if (user == null && bearerToken != null && !bearerToken.isBlank()) {
      try {
        user = tokenUser(bearerToken);
      } catch (TokenRejected e) {
        failures.add("token rejected" + (e.getMessage() == null ? "" : ": " + e.getMessage()));
      }
    }
    if (user == null && anonymous) {
      user = new User(ANONYMOUS, "", List.of(UNAUTHENTICATED));
    }
    if (user == null) {
      return new Decision.Denied(
          401,
          "Unauthorized: "
              + (failures.isEmpty()
                  ? "a client certificate or bearer token is required (anonymous access is"
                      + " disabled)"
                  : String.join("; ", failures)));
    }
    String subresource = subresource(path);
    String verb =
        switch (method) {
          case "POST", "PUT" -> "create";
          case "DELETE" -> "delete";
          default -> "get";
        };
    if (!allowed(new Question(user.name(), user.uid(), user.groups(), verb, subresource))) {
      return new Decision.Denied(
          403,
          "Forbidden (user="
              + user.name()
              + ", verb="
              + verb
              + ", resource=nodes, subresource="
              + subresource
              + ")");
    }
    return new Decision.Allowed(user.name());
  }

  /** The user of a client chain that verifies against the client CAs (PKIX, no revocation). */
  private User certificateUser(List<? extends Certificate> chain) throws GeneralSecurityException {
    List<X509Certificate> x509 = new ArrayList<>();
    for (Certificate c : chain) {
      if (!(c instanceof X509Certificate x)) {
        throw new GeneralSecurityException("not an X.509 certificate");
      }
      x509.add(x);
    }
    X509Certificate leaf = x509.get(0);
    List<String> usages = leaf.getExtendedKeyUsage();
    if (usages != null
        && !usages.contains("1.3.6.1.5.5.7.3.2")
        && !usages.contains("2.5.29.37.0")) {
      throw new GeneralSecurityException("the certificate is not for client authentication");
    }
    PKIXParameters params = new PKIXParameters(clientCas.anchors());
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX")
        .validate(CertificateFactory.getInstance("X.509").generateCertPath(x509), params);
    String cn = null;
    List<String> groups = new ArrayList<>();
    try {
      for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          cn = String.valueOf(rdn.getValue());
        } else if (rdn.getType().equalsIgnoreCase("O")) {
          groups.add(String.valueOf(rdn.getValue()));
        }
      }
    } catch (InvalidNameException e) {
      throw new GeneralSecurityException("unreadable subject: " + e.getMessage(), e);
    }
    if (cn == null || cn.isEmpty()) {
      throw new GeneralSecurityException("the certificate has no common name");
    }
    groups.add(AUTHENTICATED);
    return new User(cn, "", List.copyOf(groups));
  }

  private static final class TokenRejected extends Exception {
    TokenRejected(String message) {
      super(message, null, false, false);
    }
  }

  private User tokenUser(String token) throws TokenRejected {
    String key = sha256(token);
    User cached = tokens.get(key);
    if (cached != null) {
      return cached;
    }
    TokenReview review =
        meta.resource(new TokenReviewBuilder().withNewSpec().withToken(token).endSpec().build())
            .create();
    if (review.getStatus() == null || !Boolean.TRUE.equals(review.getStatus().getAuthenticated())) {
      throw new TokenRejected(review.getStatus() == null ? null : review.getStatus().getError());
    }
    var u = review.getStatus().getUser();
    User user =
        new User(
            u.getUsername(),
            u.getUid() == null ? "" : u.getUid(),
            u.getGroups() == null ? List.of() : List.copyOf(u.getGroups()));
    tokens.put(key, user, AUTHENTICATED_TTL);
    return user;
  }

  private boolean allowed(Question q) {
    Boolean cached = decisions.get(q);
    if (cached != null) {
      return cached;
    }
    SubjectAccessReview sar =
        meta.resource(
                new SubjectAccessReviewBuilder()
                    .withNewSpec()
                    .withUser(q.user())
                    .withUid(q.uid().isEmpty() ? null : q.uid())
                    .withGroups(q.groups())
                    .withNewResourceAttributes()
                    .withGroup("")
                    .withResource("nodes")
                    .withSubresource(q.sub())
                    .withName(nodeName)
                    .withVerb(q.verb())
                    .endResourceAttributes()
                    .endSpec()
                    .build())
            .create();
    boolean allowed = sar.getStatus() != null && Boolean.TRUE.equals(sar.getStatus().getAllowed());
    decisions.put(q, allowed, allowed ? ALLOWED_TTL : DENIED_TTL);
    return allowed;
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static String subresource(String path) {
    if (path.startsWith("/stats")) {
      return "stats";
    }
    if (path.startsWith("/metrics")) {
      return "metrics";
    }
    if (path.startsWith("/logs")) {
      return "log";
    }
    return "proxy";
  }
}
