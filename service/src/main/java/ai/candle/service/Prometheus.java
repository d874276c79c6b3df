package ai.candle.service;

import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** The meter registry of a service's Prometheus endpoint. */
public final class Prometheus {

  private Prometheus() {}

  /**
   * A new Prometheus registry with the process metrics every service reports: JVM memory ({@code
   * jvm_memory_used_bytes}, ...) and threads ({@code jvm_threads_live_threads}, ...), CPU ({@code
   * system_cpu_count}, {@code process_cpu_usage}, ...) and uptime ({@code process_uptime_seconds}).
   */
  public static PrometheusMeterRegistry registry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    return registry;
  }
}
