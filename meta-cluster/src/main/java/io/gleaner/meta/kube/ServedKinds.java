package io.gleaner.meta.kube;

import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.gleaner.meta.registry.MemberErrors;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Whether a cluster serves a kind, from its API discovery ({@code GET /apis/<group>/<version>}),
 * asked with no thread waiting for the answer (fabric8's HTTP client is asynchronous underneath):
 * one request per member, however many members do not answer.
 *
 * <p>Any answer is final: a 200 whose resources name the kind's plural says served; a 404 (group or
 * version unknown), a 200 without the plural, or any other refusal says not served. A failure where
 * the cluster did not answer ({@link MemberErrors#isTransient}: no response, 5xx, 429) is asked
 * again after a backoff that doubles from {@link #FIRST_RETRY} to {@link #MAX_RETRY}, as informers
 * retry their lists, for as long as the caller still wants the answer.
 */
public final class ServedKinds {
  static final Duration FIRST_RETRY = Duration.ofSeconds(1);
  static final Duration MAX_RETRY = Duration.ofSeconds(32);

  /**
   * What discovery said.
   *
   * @param served whether the cluster serves the kind
   * @param why for a kind not served, what said so ({@code 404}, {@code HTTP 403}, {@code not
   *     listed}); empty when served
   */
  public record Answer(boolean served, String why) {}

  private ServedKinds() {}

  /**
   * Asks {@code client}'s cluster whether it serves {@code kind}.
   *
   * @param wanted checked before each attempt: once false, the future fails with a {@link
   *     CancellationException} (the caller closed)
   * @param onRetry told of each failure that is asked again
   */
  public static CompletableFuture<Answer> ask(
      KubernetesClient client,
      ResourceDefinitionContext kind,
      BooleanSupplier wanted,
      Consumer<Throwable> onRetry) {
    return ask(client, kind, wanted, onRetry, FIRST_RETRY);
  }

  /** As {@link #ask(KubernetesClient, ResourceDefinitionContext, BooleanSupplier, Consumer)}. */
  static CompletableFuture<Answer> ask(
      KubernetesClient client,
      ResourceDefinitionContext kind,
      BooleanSupplier wanted,
      Consumer<Throwable> onRetry,
      Duration firstRetry) {
    CompletableFuture<Answer> answer = new CompletableFuture<>();
    attempt(client, kind, wanted, onRetry, answer, firstRetry);
    return answer;
  }

  private static void attempt(
      KubernetesClient client,
      ResourceDefinitionContext kind,
      BooleanSupplier wanted,
      Consumer<Throwable> onRetry,
      CompletableFuture<Answer> answer,
      Duration backoff) {
    if (!wanted.getAsBoolean()) {
      answer.completeExceptionally(new CancellationException("no longer wanted"));
      return;
    }
    send(client, path(kind))
        .handle(
            (response, error) -> {
              Throwable failure = error == null ? null : unwrap(error);
              if (failure == null && (response.code() >= 500 || response.code() == 429)) {
                failure =
                    new KubernetesClientException(
                        "GET " + path(kind) + ": HTTP " + response.code(), response.code(), null);
              }
              if (failure != null && MemberErrors.isTransient(failure)) {
                onRetry.accept(failure);
                Duration next = backoff.multipliedBy(2);
                CompletableFuture.delayedExecutor(backoff.toMillis(), TimeUnit.MILLISECONDS)
                    .execute(
                        () ->
                            attempt(
                                client,
                                kind,
                                wanted,
                                onRetry,
                                answer,
                                next.compareTo(MAX_RETRY) > 0 ? MAX_RETRY : next));
              } else if (failure != null) {
                answer.complete(new Answer(false, MemberErrors.describe(failure)));
              } else {
                answer.complete(read(client, kind, response));
              }
              return null;
            });
  }

  /** The answer a cluster gave: served only when the list names the kind. */
  static Answer read(
      KubernetesClient client, ResourceDefinitionContext kind, HttpResponse<String> r) {
    if (r.code() == 404) {
      return new Answer(false, "404");
    }
    if (r.code() != 200) {
      return new Answer(false, "HTTP " + r.code());
    }
    List<APIResource> resources;
    try {
      resources =
          client
              .getKubernetesSerialization()
              .unmarshal(r.body(), APIResourceList.class)
              .getResources();
    } catch (RuntimeException e) {
      return new Answer(false, "unreadable discovery document: " + e.getMessage());
    }
    boolean listed =
        resources != null && resources.stream().anyMatch(a -> kind.getPlural().equals(a.getName()));
    return listed ? new Answer(true, "") : new Answer(false, "not listed");
  }

  static String path(ResourceDefinitionContext kind) {
    return kind.getGroup() == null || kind.getGroup().isEmpty()
        ? "api/" + kind.getVersion()
        : "apis/" + kind.getGroup() + "/" + kind.getVersion();
  }

  private static CompletableFuture<HttpResponse<String>> send(
      KubernetesClient client, String path) {
    try {
      HttpClient http = client.getHttpClient();
      String base = client.getMasterUrl().toString();
      HttpRequest.Builder request =
          http.newHttpRequestBuilder().uri(base + (base.endsWith("/") ? "" : "/") + path);
      int timeoutMillis = client.getConfiguration().getRequestTimeout();
      if (timeoutMillis > 0) {
        request.timeout(timeoutMillis, TimeUnit.MILLISECONDS);
      }
      return http.sendAsync(request.build(), String.class);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * A failure without an answer, as a {@link KubernetesClientException} without a code (whatever
   * the HTTP layer threw, Vert.x's own exceptions too): transient by {@link MemberErrors}.
   */
  private static Throwable unwrap(Throwable t) {
    Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    return cause instanceof KubernetesClientException
        ? cause
        : new KubernetesClientException("no answer: " + MemberErrors.describe(cause), cause);
  }
}
