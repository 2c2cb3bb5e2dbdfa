package io.gleaner.broker.grpc;

import java.util.ArrayList;
import java.util.List;

/**
 * The rejections of one offer stream, for its acknowledgement: every one counted, the first {@link
 * #LISTED} kept word for word. A stream may be long-lived and carry any number of bad offers; its
 * memory must not grow with them.
 */
final class Rejections {
  static final int LISTED = 100;

  private final List<String> messages = new ArrayList<>();
  private long total;

  void add(String message) {
    total++;
    if (messages.size() < LISTED) {
      messages.add(message);
    }
  }

  List<String> listed() {
    return List.copyOf(messages);
  }

  long total() {
    return total;
  }
}
