package io.gleaner.broker.quota;

import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.gleaner.broker.ledger.Ledger;
import io.gleaner.broker.model.MemberQuota;
import io.gleaner.meta.config.VirtualKubeletConfig;
import io.gleaner.meta.informer.Informers;
import io.gleaner.meta.registry.MemberHandle;
import io.gleaner.meta.registry.MemberListener;
import io.gleaner.meta.registry.MemberRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the ledger's view of every member's ResourceQuotas in the namespaces Gleaner maps to: one
 * informer per member, listing at start and watching after. With the SINGLE namespace mapping it
 * watches that one namespace; otherwise every namespace, keeping only those the mapping can give
 * (PREFIX: names that start with the prefix). Each change of a quota hands the ledger every quota
 * of its namespace anew. A member that leaves takes its quotas with it.
 */
public final class MemberQuotaWatch implements MemberListener {
  private static final Logger log = LoggerFactory.getLogger(MemberQuotaWatch.class);

  private final Ledger ledger;
  private final VirtualKubeletConfig.NamespaceMapping mapping;

  MemberQuotaWatch(Ledger ledger, VirtualKubeletConfig.NamespaceMapping mapping) {
    this.ledger = ledger;
    this.mapping = mapping;
  }

  /** Starts following the quotas of every member of {@code registry}, present and future. */
  public static MemberQuotaWatch start(
      MemberRegistry registry, Ledger ledger, VirtualKubeletConfig.NamespaceMapping mapping) {
    MemberQuotaWatch watch = new MemberQuotaWatch(ledger, mapping);
    registry.addListener(watch);
    return watch;
  }

  @Override
  public void memberAdded(MemberHandle member) {
    String cluster = member.name();
    follow(cluster, member.informers().inform(c -> informer(cluster, c)));
  }

  /** An informer on {@code cluster}'s quotas, not started; the handle's informers stop it. */
  SharedIndexInformer<ResourceQuota> informer(String cluster, KubernetesClient client) {
    return Informers.keepRetrying(build(client), log, what(cluster));
  }

  /** Hands every change {@code informer} sees to the ledger, and starts it. */
  void follow(String cluster, SharedIndexInformer<ResourceQuota> informer) {
    informer.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(ResourceQuota q) {
            changed(cluster, informer, q);
          }

          @Override
          public void onUpdate(ResourceQuota before, ResourceQuota q) {
            changed(cluster, informer, q);
          }

          @Override
          public void onDelete(ResourceQuota q, boolean finalStateUnknown) {
            changed(cluster, informer, q);
          }
        });
    informer.start();
  }

  @Override
  public void memberRemoved(MemberHandle member) {
    ledger.clearQuotas(member.name());
  }

  private SharedIndexInformer<ResourceQuota> build(KubernetesClient c) {
    return mapping.mode() == VirtualKubeletConfig.NamespaceMapping.Mode.SINGLE
        ? c.resourceQuotas().inNamespace(mapping.namespace()).runnableInformer(0)
        : c.resourceQuotas().inAnyNamespace().runnableInformer(0);
  }

  private String what(String cluster) {
    return "ResourceQuotas of member "
        + cluster
        + (mapping.mode() == VirtualKubeletConfig.NamespaceMapping.Mode.SINGLE
            ? " in " + mapping.namespace()
            : "");
  }

  /** Whether a member namespace can hold Gleaner's pods under the mapping. */
  boolean mapped(String namespace) {
    return switch (mapping.mode()) {
      case SINGLE -> namespace.equals(mapping.namespace());
      case PREFIX -> namespace.startsWith(mapping.prefix());
      case SAME -> true;
    };
  }

  private void changed(
      String cluster, SharedIndexInformer<ResourceQuota> informer, ResourceQuota q) {
    String ns = q.getMetadata().getNamespace();
    if (!mapped(ns)) {
      return;
    }
    List<MemberQuota> quotas = new ArrayList<>();
    for (ResourceQuota each : informer.getStore().list()) {
      if (ns.equals(each.getMetadata().getNamespace())) {
        try {
          Optional<MemberQuota> read = QuotaReader.read(each);
          read.ifPresent(quotas::add);
        } catch (RuntimeException e) {
          log.warn(
              "ResourceQuota {}/{} of member {} not understood, left to the member: {}",
              ns,
              each.getMetadata().getName(),
              cluster,
              e.toString());
        }
      }
    }
    ledger.quotas(cluster, ns, quotas);
    log.debug("member {} namespace {}: {} quota(s) in force", cluster, ns, quotas.size());
  }
}
