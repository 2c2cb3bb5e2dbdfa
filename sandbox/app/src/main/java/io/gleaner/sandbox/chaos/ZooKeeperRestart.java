package io.gleaner.sandbox.chaos;

/**
 * One server's restart in {@code zookeeper-rolling-restart}. Times are real seconds from the
 * fault's start (the first server stopped).
 *
 * @param port the server's client port
 * @param role what it was when it was stopped ({@code follower} or {@code leader})
 * @param stoppedAt when it was stopped
 * @param rejoinSeconds from its stop until it answered {@code srvr} as leader or follower again,
 *     with the ensemble serving (a majority leader or follower); -1 when it did not within the
 *     timeout
 * @param roleAfter what it answered once back
 * @param lists Gleaner's list requests to the API servers from its stop to the next server's stop
 *     (for the last one, to recovery): the re-lists this restart caused, with the steady rate
 * @param listsPerSecond those lists over that window
 */
public record ZooKeeperRestart(
    int port,
    String role,
    double stoppedAt,
    double rejoinSeconds,
    String roleAfter,
    long lists,
    double listsPerSecond) {}
