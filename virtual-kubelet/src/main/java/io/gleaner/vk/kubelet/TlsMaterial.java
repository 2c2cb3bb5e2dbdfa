package io.gleaner.vk.kubelet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** PEM certificate chain and private key for the kubelet API. */
public record TlsMaterial(String certificatePem, String privateKeyPem) {
  public TlsMaterial {
    if (certificatePem == null || !certificatePem.contains("BEGIN CERTIFICATE")) {
      throw new IllegalArgumentException("kubelet.tls certificate is not a PEM certificate");
    }
    if (privateKeyPem == null || !privateKeyPem.contains("PRIVATE KEY")) {
      throw new IllegalArgumentException("kubelet.tls key is not a PEM private key");
    }
  }

  /**
   * Production: {@code --tls-cert-file} / {@code --tls-private-key-file} (e.g. from a
   * kubelet-serving CSR).
   */
  public static TlsMaterial fromFiles(Path cert, Path key) {
    try {
      return new TlsMaterial(Files.readString(cert), Files.readString(key));
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read kubelet TLS files " + cert + " / " + key + ": " + e.getMessage(), e);
    }
  }
}
