package io.gleaner.api.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * Times every call a Gleaner client makes: {@value #CALLS} with tags {@code client} (the calling
 * service), {@code method} ({@code gleaner.v1.Broker/Place}) and {@code code} (the final gRPC
 * status code, {@code OK} included). Streams are timed from start to end.
 */
public final class ClientMetrics implements ClientInterceptor {
  public static final String CALLS = "gleaner.api.client.calls";

  private final MeterRegistry registry;
  private final String client;

  public ClientMetrics(MeterRegistry registry, String client) {
    this.registry = registry;
    this.client = client;
  }

  @Override
  public <Q, A> ClientCall<Q, A> interceptCall(
      MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
    long start = System.nanoTime();
    String name = method.getFullMethodName();
    return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void start(Listener<A> listener, Metadata headers) {
        super.start(
            new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
              @Override
              public void onClose(Status status, Metadata trailers) {
                Timer.builder(CALLS)
                    .tags("client", client, "method", name, "code", status.getCode().name())
                    .register(registry)
                    .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                super.onClose(status, trailers);
              }
            },
            headers);
      }
    };
  }
}
