package io.gleaner.idle.source;

import io.gleaner.meta.registry.MemberHandle;
import io.gleaner.meta.registry.MemberListener;
import io.gleaner.meta.registry.MemberRegistry;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Members from the {@link MemberRegistry}: every MemberCluster with a usable handle. A member whose
 * spec changes (roles) is removed and added again, so its watches follow the new roles. A deleted
 * MemberCluster is {@linkplain Listener#deregistered deregistered} while its handle is still open;
 * a member disabled, invalid, or whose connection changed or failed, is only removed (it may come
 * back).
 */
public final class RegistryMemberDirectory implements MemberDirectory {
  private final MemberRegistry registry;
  private final Map<Listener, MemberListener> bridges = new ConcurrentHashMap<>();

  public RegistryMemberDirectory(MemberRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  @Override
  public void attach(Listener listener) {
    MemberListener bridge =
        new MemberListener() {
          @Override
          public void memberAdded(MemberHandle member) {
            listener.added(Members.of(member));
          }

          @Override
          public void memberUpdated(MemberHandle member) {
            listener.removed(member.name());
            listener.added(Members.of(member));
          }

          @Override
          public void memberRemoved(MemberHandle member, Removal why) {
            if (why == Removal.DELETED) {
              listener.deregistered(member.name());
            } else {
              listener.removed(member.name());
            }
          }
        };
    bridges.put(listener, bridge);
    registry.addListener(bridge);
  }

  @Override
  public void detach(Listener listener) {
    MemberListener bridge = bridges.remove(listener);
    if (bridge != null) {
      registry.removeListener(bridge);
    }
  }
}
