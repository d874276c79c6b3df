package ai.candle.cli.soak;

import java.util.List;

/**
 * What one sample interval of a soak measured.
 *
 * @param elapsedSeconds seconds since the load started, at the end of the interval
 * @param intervalSeconds the interval's length
 * @param sent events the load sent in the interval (labelled, unlabelled, announcements)
 * @param predictions predictions that arrived in the interval (read committed)
 * @param latencyP50Millis median send → prediction latency in the interval (NaN: none)
 * @param latencyP99Millis 99th percentile of it (NaN: none)
 * @param versionsPublished model versions seen on the models topic since the start
 * @param announcedClasses classes announced so far
 * @param loadAverage the machine's 1-minute load average (other work on the machine counts too)
 * @param processes every process's resources at the end of the interval
 */
record SoakSample(
    double elapsedSeconds,
    double intervalSeconds,
    long sent,
    long predictions,
    double latencyP50Millis,
    double latencyP99Millis,
    long versionsPublished,
    int announcedClasses,
    double loadAverage,
    List<ProcessSample> processes) {

  double sentPerSecond() {
    return sent / intervalSeconds;
  }

  double predictionsPerSecond() {
    return predictions / intervalSeconds;
  }
}
