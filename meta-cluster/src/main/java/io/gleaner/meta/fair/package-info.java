/**
 * Teams sharing the harvested pool fairly: pure logic, no I/O, used by the virtual-kubelet (the
 * order pods waiting for room are placed in), the descheduler (whom reclaim takes from first) and
 * {@code gleaner bench fairness}.
 *
 * <ul>
 *   <li>{@link io.gleaner.meta.fair.Team}, {@link io.gleaner.meta.fair.Teams}: the policy's teams
 *       (from {@code GleanerPolicy.spec.teams}) and the default team.
 *   <li>{@link io.gleaner.meta.fair.FairQueue}: one round of weighted Dominant Resource Fairness
 *       over waiting pods, with guarantees first and caps, and why each pod left still waits.
 *   <li>{@link io.gleaner.meta.fair.FairShares}: each team's fair share (weighted water-filling
 *       over demand) and actual share.
 *   <li>{@link io.gleaner.meta.fair.ReclaimOrder}: victims from the team furthest above its fair
 *       share first, class order where shares are equal.
 *   <li>{@link io.gleaner.meta.fair.GuaranteeReclaim}: which teams are owed room for their
 *       guarantee, how much, and the victims that free it.
 * </ul>
 */
package io.gleaner.meta.fair;
