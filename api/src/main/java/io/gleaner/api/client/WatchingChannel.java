package io.gleaner.api.client;

import io.gleaner.api.tls.CertificateFiles;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A channel whose CA and client certificate are followed; shutting it down stops the watches. */
final class WatchingChannel extends ManagedChannel {
  private final ManagedChannel channel;
  private final List<CertificateFiles> watches;

  WatchingChannel(ManagedChannel channel, List<CertificateFiles> watches) {
    this.channel = channel;
    this.watches = List.copyOf(watches);
  }

  @Override
  public ManagedChannel shutdown() {
    watches.forEach(CertificateFiles::close);
    channel.shutdown();
    return this;
  }

  @Override
  public ManagedChannel shutdownNow() {
    watches.forEach(CertificateFiles::close);
    channel.shutdownNow();
    return this;
  }

  @Override
  public boolean isShutdown() {
    return channel.isShutdown();
  }

  @Override
  public boolean isTerminated() {
    return channel.isTerminated();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    return channel.awaitTermination(timeout, unit);
  }

  @Override
  public ConnectivityState getState(boolean requestConnection) {
    return channel.getState(requestConnection);
  }

  @Override
  public void notifyWhenStateChanged(ConnectivityState source, Runnable callback) {
    channel.notifyWhenStateChanged(source, callback);
  }

  @Override
  public void resetConnectBackoff() {
    channel.resetConnectBackoff();
  }

  @Override
  public void enterIdle() {
    channel.enterIdle();
  }

  @Override
  public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
    return channel.newCall(method, options);
  }

  @Override
  public String authority() {
    return channel.authority();
  }
}
