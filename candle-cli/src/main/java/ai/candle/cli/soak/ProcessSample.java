package ai.candle.cli.soak;

/**
 * One process's resources at one moment of a soak.
 *
 * @param process which process: streams-app, trainer, or cli+broker (the soak's own JVM, which
 *     hosts the embedded broker, the load and the measurements)
 * @param pid its process id
 * @param heapUsedMb JVM heap in use, MiB
 * @param heapCommittedMb JVM heap committed, MiB
 * @param nonHeapUsedMb JVM non-heap in use (metaspace, code cache), MiB
 * @param rssMb resident set size (VmRSS), MiB
 * @param openFiles open file descriptors
 * @param threads threads of the process (the kernel's count: JVM and native ones)
 * @param cpuSeconds user + system CPU time since the process started
 */
record ProcessSample(
    String process,
    long pid,
    double heapUsedMb,
    double heapCommittedMb,
    double nonHeapUsedMb,
    double rssMb,
    int openFiles,
    int threads,
    double cpuSeconds) {

  /**
   * Memory outside the Java heap: RSS minus the committed heap. DJL/PyTorch native tensors, thread
   * stacks, metaspace, direct buffers and the allocator's arenas all show up here.
   */
  double nativeEstimateMb() {
    return rssMb - heapCommittedMb;
  }
}
