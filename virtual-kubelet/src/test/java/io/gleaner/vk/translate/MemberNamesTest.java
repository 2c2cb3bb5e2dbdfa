package io.gleaner.vk.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MemberNamesTest {
  @Test
  void nameIsDeterministicShortAndDnsSafe() {
    String a = MemberNames.forUid("0b7c9a1e-1111-2222-3333-444455556666");
    assertThat(a)
        .isEqualTo(MemberNames.forUid("0b7c9a1e-1111-2222-3333-444455556666"))
        .startsWith("gl-")
        .hasSize(19)
        .matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  }

  @Test
  void differentUidsGiveDifferentNames() {
    assertThat(MemberNames.forUid("uid-1")).isNotEqualTo(MemberNames.forUid("uid-2"));
  }

  @Test
  void missingUidFailsWithClearMessage() {
    assertThatThrownBy(() -> MemberNames.forUid(" ")).hasMessageContaining("metadata.uid");
    assertThatThrownBy(() -> MemberNames.forUid(null)).hasMessageContaining("metadata.uid");
  }

  @Test
  void anEphemeralVolumesClaimLeadsBackToItsMemberPod() {
    String pod = MemberNames.forUid("uid-1");
    assertThat(MemberNames.podOfClaim(pod + "-scratch")).contains(pod);
    assertThat(MemberNames.podOfClaim(pod + "-a-b")).contains(pod);
    assertThat(MemberNames.podOfClaim(pod)).isEmpty();
    assertThat(MemberNames.podOfClaim(pod + "-")).isEmpty();
    assertThat(MemberNames.podOfClaim("gl-0123456789ABCDEF-x")).isEmpty();
    assertThat(MemberNames.podOfClaim("gl-0123456789abcdeg-x")).isEmpty();
    assertThat(MemberNames.podOfClaim("data-0")).isEmpty();
    assertThat(MemberNames.podOfClaim(null)).isEmpty();
  }
}
