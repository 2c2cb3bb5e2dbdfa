package io.gleaner.vk.translate;

/**
 * What a member pod says of its gang, for the member's Volcano and Gleaner's descheduler.
 *
 * @param id the gang's federation-wide id, {@code <metadata namespace>/<PodGroup>}
 * @param minMember the gang's minimum
 * @param members how many of its pods the broker placed together
 * @param podGroup the name of the PodGroup mirrored in the member, or null when the member serves
 *     no Volcano PodGroup (the pod then carries the gang in Gleaner's annotations only)
 */
public record MemberGang(String id, int minMember, int members, String podGroup) {}
