package ai.candle.kafka;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * An {@link EmbeddedKafkaBroker} as a JVM of its own, for tests whose broker may halt its JVM (a
 * full or read-only data dir): started through {@link JvmProcess}, it cannot take the test's JVM
 * with it.
 *
 * <p>Arguments: {@code <dataDir> <port> <controllerPort>} (a port of 0 picks a free one). Once the
 * broker takes clients it prints one line starting with {@link #READY} that names both ports; it
 * then runs until the process is killed (SIGTERM closes the broker cleanly). The broker's log goes
 * to stdout (slf4j-simple, levels from the test's {@code simplelogger.properties}). If {@link
 * EmbeddedKafkaBroker.Builder#start()} throws, it exits with {@link #START_FAILED}, so a test can
 * tell that from Kafka halting the JVM itself (status 1).
 */
public final class EmbeddedKafkaBrokerMain {

  /**
   * Start of the line printed once the broker is ready: {@code READY bootstrap=127.0.0.1:P
   * controllerPort=C}.
   */
  public static final String READY = "EMBEDDED-BROKER-READY";

  /** Exit status when {@code start()} threw instead of Kafka halting the JVM. */
  public static final int START_FAILED = 3;

  private EmbeddedKafkaBrokerMain() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 3) {
      System.err.println("usage: EmbeddedKafkaBrokerMain <dataDir> <port> <controllerPort>");
      System.exit(2);
    }
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.out"); // before the first logger
    EmbeddedKafkaBroker broker;
    try {
      broker =
          EmbeddedKafkaBroker.builder()
              .dataDir(Path.of(args[0]))
              .port(Integer.parseInt(args[1]))
              .controllerPort(Integer.parseInt(args[2]))
              .start();
    } catch (RuntimeException e) {
      e.printStackTrace(System.out);
      System.out.flush();
      Runtime.getRuntime().halt(START_FAILED); // the failed broker's threads would keep the JVM up
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  broker.close();
                  stopped.countDown();
                },
                "embedded-broker-shutdown"));
    System.out.println(
        READY
            + " bootstrap="
            + broker.bootstrapServers()
            + " controllerPort="
            + broker.controllerPort());
    System.out.flush();
    stopped.await();
  }
}
