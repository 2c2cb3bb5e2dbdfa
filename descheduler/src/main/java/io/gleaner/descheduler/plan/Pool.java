package io.gleaner.descheduler.plan;

import io.gleaner.api.v1.SourceKind;

/**
 * The pool a lent member node belongs to (label {@code gleaner.io/pool}); {@link #UNKNOWN} if the
 * label is gone.
 */
public enum Pool {
  IDLE("idle", SourceKind.IDLE),
  VOLCANO("volcano", SourceKind.VOLCANO),
  COLOCATION("colocation", SourceKind.COLOCATION),
  UNKNOWN("", SourceKind.SOURCE_KIND_UNSPECIFIED);

  private final String label;
  private final SourceKind source;

  Pool(String label, SourceKind source) {
    this.label = label;
    this.source = source;
  }

  public String label() {
    return label;
  }

  public SourceKind source() {
    return source;
  }

  /**
   * Parses a pool label or a {@code gleaner.io/source} value (case-insensitive); null or unknown
   * gives UNKNOWN.
   */
  public static Pool fromLabel(String value) {
    if (value == null) {
      return UNKNOWN;
    }
    for (Pool p : values()) {
      if (p != UNKNOWN && p.label.equalsIgnoreCase(value)) {
        return p;
      }
    }
    return UNKNOWN;
  }
}
