package io.gleaner.api.auth;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates and authorizes every call of a gRPC server with mutual TLS. The caller's identity
 * is the subject CN of the client certificate that the TLS handshake verified against the
 * configured client CA; the server asks for a certificate without requiring one, so that a caller
 * without one gets a gRPC status instead of a failed handshake:
 *
 * <ul>
 *   <li>no verified certificate: {@code UNAUTHENTICATED};
 *   <li>an identity the {@link MethodAccess} table does not list for the method: {@code
 *       PERMISSION_DENIED}, naming identity, method and who may call it.
 * </ul>
 *
 * Each refusal counts in {@value #REFUSED} (tags {@code server}, {@code method}, {@code identity},
 * {@code reason}). Admitted calls run with the identity in {@link #IDENTITY}.
 */
public final class CallerAuthorizer implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(CallerAuthorizer.class);

  /** Counter of refused calls. */
  public static final String REFUSED = "gleaner.grpc.refused";

  /** The authenticated caller of the current call. */
  public static final Context.Key<String> IDENTITY = Context.key("gleaner-caller");

  private final String server;
  private final MethodAccess access;
  private final MeterRegistry registry;

  /**
   * @param server the {@code server} tag ({@code broker}, {@code reclaim-hooks})
   */
  public CallerAuthorizer(String server, MethodAccess access, MeterRegistry registry) {
    this.server = Objects.requireNonNull(server, "server");
    this.access = Objects.requireNonNull(access, "access");
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    Optional<String> identity = identity(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    if (identity.isEmpty()) {
      return refuse(
          call,
          method,
          Identities.ANONYMOUS,
          "unauthenticated",
          Status.UNAUTHENTICATED.withDescription(
              method
                  + " needs a client certificate signed by Gleaner's CA (mutual TLS); none was"
                  + " presented"));
    }
    String id = identity.get();
    if (!access.allows(id, method)) {
      return refuse(
          call,
          method,
          id,
          "denied",
          Status.PERMISSION_DENIED.withDescription(
              "identity \""
                  + id
                  + "\" may not call "
                  + method
                  + " (allowed: "
                  + String.join(", ", access.callers(method))
                  + ")"));
    }
    return Contexts.interceptCall(Context.current().withValue(IDENTITY, id), call, headers, next);
  }

  private <Q, A> ServerCall.Listener<Q> refuse(
      ServerCall<Q, A> call, String method, String identity, String reason, Status status) {
    Counter.builder(REFUSED)
        .description("gRPC calls refused by authentication or authorization")
        .tags("server", server, "method", method, "identity", identity, "reason", reason)
        .register(registry)
        .increment();
    log.debug("{} refused: {}", server, status.getDescription());
    call.close(status, new Metadata());
    return new ServerCall.Listener<>() {};
  }

  /** The subject CN of the session's verified peer certificate, if there is one. */
  static Optional<String> identity(SSLSession session) {
    if (session == null) {
      return Optional.empty();
    }
    Certificate[] chain;
    try {
      chain = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
    if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
      return Optional.empty();
    }
    return commonName(leaf);
  }

  /** The (last) CN of a certificate's subject. */
  static Optional<String> commonName(X509Certificate cert) {
    try {
      String cn = null;
      for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          cn = rdn.getValue().toString();
        }
      }
      return Optional.ofNullable(cn).filter(s -> !s.isBlank());
    } catch (InvalidNameException e) {
      return Optional.empty();
    }
  }
}
