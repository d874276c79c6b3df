package ai.candle.service;

/**
 * What a service says of itself to {@code /health/live} and {@code /health/ready} (Kubernetes-style
 * probes): live while it should not be restarted, ready while it does its work. Called on the
 * metrics server's thread at each probe: cheap, never blocking.
 */
public interface Health {
  /** Live and ready from the start (a service that has nothing to wait for). */
  Health ALWAYS = () -> Status.up("running");

  /** The state now. */
  Status status();

  /**
   * A service's state.
   *
   * @param live false when the service is broken beyond recovery (a restart would help)
   * @param ready true when it does its work (its Kafka clients run; for a scorer, a version is
   *     served)
   * @param detail one line saying why, for people reading the probe's answer
   */
  record Status(boolean live, boolean ready, String detail) {
    public static Status up(String detail) {
      return new Status(true, true, detail);
    }

    public static Status starting(String detail) {
      return new Status(true, false, detail);
    }

    public static Status down(String detail) {
      return new Status(false, false, detail);
    }
  }
}
