package io.gleaner.meta.coord;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.List;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

/**
 * The one ZooKeeper identity of a Gleaner installation ({@code zk.authFile}): every service
 * authenticates as it with the {@code digest} scheme, and every znode a service creates grants all
 * rights to that identity and none to anyone else. One identity shared by all services, rather than
 * one per service, because the services read and rewrite each other's znodes (the broker's ledger,
 * the election of each) and a znode's ACL cannot name a group.
 */
public final class ZkCredentials {
  private final String user;
  private final String password;

  private ZkCredentials(String user, String password) {
    this.user = user;
    this.password = password;
  }

  /**
   * {@code user:password}; the password may hold ':' (only the first separates).
   *
   * @throws IllegalArgumentException if there is no ':' or either part is empty
   */
  public static ZkCredentials parse(String userColonPassword) {
    String s = userColonPassword.strip();
    int colon = s.indexOf(':');
    if (colon <= 0 || colon == s.length() - 1) {
      throw new IllegalArgumentException(
          "ZooKeeper credentials must be \"user:password\" with neither empty");
    }
    return new ZkCredentials(s.substring(0, colon), s.substring(colon + 1));
  }

  /** Reads {@code user:password} from a file (a mounted Secret); surrounding whitespace ignored. */
  public static ZkCredentials read(Path file) {
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new CoordinationException("cannot read ZooKeeper credentials from " + file, e);
    } catch (IllegalArgumentException e) {
      throw new CoordinationException(e.getMessage() + " (in " + file + ")", e);
    }
  }

  public String user() {
    return user;
  }

  /** What a client sends with {@code addAuthInfo("digest", ...)}. */
  public byte[] authBytes() {
    return (user + ":" + password).getBytes(StandardCharsets.UTF_8);
  }

  /** All rights for this identity only: {@code digest:user:base64(sha1(user:password))}. */
  public List<ACL> acl() {
    try {
      String digest = DigestAuthenticationProvider.generateDigest(user + ":" + password);
      // not List.of: ZooKeeper checks acl.contains(null), which List.of rejects
      return Collections.singletonList(new ACL(ZooDefs.Perms.ALL, new Id("digest", digest)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 unavailable", e);
    }
  }

  /** Gives every znode the client creates, its namespace and parents included, {@link #acl()}. */
  public ACLProvider aclProvider() {
    List<ACL> acl = acl();
    return new ACLProvider() {
      @Override
      public List<ACL> getDefaultAcl() {
        return acl;
      }

      @Override
      public List<ACL> getAclForPath(String path) {
        return acl;
      }
    };
  }

  @Override
  public String toString() {
    return "digest:" + user + ":<password>";
  }
}
