package io.gleaner.idle.source;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A fixed set of members (each a client and its roles), for tests, benches and runs without a
 * registry.
 */
public final class StaticMemberDirectory implements MemberDirectory {
  private final List<Member> members;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  public StaticMemberDirectory(List<Member> members) {
    this.members = List.copyOf(members);
  }

  @Override
  public void attach(Listener listener) {
    listeners.add(listener);
    members.forEach(listener::added);
  }

  @Override
  public void detach(Listener listener) {
    listeners.remove(listener);
  }
}
