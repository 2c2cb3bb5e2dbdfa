package io.gleaner.vk.node;

/**
 * Health of what the virtual node's Ready condition depends on: the virtual-kubelet itself and the
 * broker. A single member cluster's state deliberately does not appear here (ARCHITECTURE.md §6).
 *
 * @param brokerReachable the capacity stream from the broker is up
 * @param message why not ready, for the condition message
 */
public record NodeHealth(boolean brokerReachable, String message) {
  public static NodeHealth healthy() {
    return new NodeHealth(true, "virtual-kubelet and broker are healthy");
  }

  public static NodeHealth brokerDown(String why) {
    return new NodeHealth(false, "broker unavailable: " + why);
  }
}
