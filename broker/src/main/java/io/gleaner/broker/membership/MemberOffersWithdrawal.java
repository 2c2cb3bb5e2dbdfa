package io.gleaner.broker.membership;

import io.gleaner.broker.ledger.Ledger;
import io.gleaner.meta.registry.MemberHandle;
import io.gleaner.meta.registry.MemberListener;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Withdraws a member's offers from the ledger the moment it stops being one the broker may place
 * on: it starts leaving the federation (its MemberCluster is being deleted), or it is removed from
 * the registry (deleted, disabled, invalid). Without this its offers stayed placeable until their
 * TTL ran out. New offers from a leaving member are refused by the ledger's known-members check. A
 * member whose kubeconfig changed is removed and added again: its offers come back with the
 * sources' next refresh.
 */
public final class MemberOffersWithdrawal implements MemberListener {
  private static final Logger log = LoggerFactory.getLogger(MemberOffersWithdrawal.class);
  private final Ledger ledger;

  public MemberOffersWithdrawal(Ledger ledger) {
    this.ledger = Objects.requireNonNull(ledger, "ledger");
  }

  @Override
  public void memberUpdated(MemberHandle member) {
    if (member.isLeaving()) {
      withdraw(member.name(), "member " + member.name() + " is leaving the federation");
    }
  }

  @Override
  public void memberRemoved(MemberHandle member) {
    withdraw(member.name(), "member " + member.name() + " was removed from the federation");
  }

  private void withdraw(String cluster, String reason) {
    int n = ledger.withdrawMember(cluster, reason);
    if (n > 0) {
      log.info("{}: withdrew its {} offers", reason, n);
    }
  }
}
