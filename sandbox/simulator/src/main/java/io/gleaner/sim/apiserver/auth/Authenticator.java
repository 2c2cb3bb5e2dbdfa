package io.gleaner.sim.apiserver.auth;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

/**
 * kube-apiserver's request authentication with {@code --anonymous-auth=false}: an x509 client
 * certificate signed by the cluster CA (CN = user, O = groups) is tried first, then a bearer token
 * (a service account token whose audiences include the API server's). A request with neither, or
 * with only invalid credentials, is not authenticated (the caller answers 401).
 */
public final class Authenticator {
  private final ClusterCa ca;
  private final ServiceAccountTokens tokens;

  /** Verified client certificates (few distinct ones per cluster); bounded. */
  private final Map<X509Certificate, UserInfo> certificates = new ConcurrentHashMap<>();

  public Authenticator(ClusterCa ca, ServiceAccountTokens tokens) {
    this.ca = ca;
    this.tokens = tokens;
  }

  /**
   * The user of a request.
   *
   * @param authorization the {@code Authorization} header or null
   * @param peerCertificates the TLS client's certificate chain, empty when it sent none
   */
  public Optional<UserInfo> authenticate(
      String authorization, List<? extends Certificate> peerCertificates) {
    if (!peerCertificates.isEmpty() && peerCertificates.get(0) instanceof X509Certificate cert) {
      Optional<UserInfo> user = certificateUser(cert);
      if (user.isPresent()) {
        return user;
      }
    }
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String token = authorization.substring(7).trim();
      return tokens
          .review(token)
          .filter(r -> r.audiences().contains(ServiceAccountTokens.API_AUDIENCE))
          .map(ServiceAccountTokens.Review::user);
    }
    return Optional.empty();
  }

  /** The user a certificate names, if the cluster CA signed it and it is valid now. */
  public Optional<UserInfo> certificateUser(X509Certificate cert) {
    UserInfo known = certificates.get(cert);
    if (known != null) {
      return ca.verify(cert) ? Optional.of(known) : Optional.empty();
    }
    if (!ca.verify(cert)) {
      return Optional.empty();
    }
    UserInfo user = userOf(cert);
    if (certificates.size() > 1000) {
      certificates.clear();
    }
    certificates.put(cert, user);
    return Optional.of(user);
  }

  /** CN as user name, each O as a group, plus {@code system:authenticated}. */
  static UserInfo userOf(X509Certificate cert) {
    X500Name subject = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
    String cn = "";
    for (RDN rdn : subject.getRDNs(BCStyle.CN)) {
      cn = IETFUtils.valueToString(rdn.getFirst().getValue());
    }
    List<String> groups = new ArrayList<>();
    for (RDN rdn : subject.getRDNs(BCStyle.O)) {
      groups.add(IETFUtils.valueToString(rdn.getFirst().getValue()));
    }
    return UserInfo.of(cn, "", groups);
  }
}
