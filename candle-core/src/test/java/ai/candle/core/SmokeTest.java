package ai.candle.core;

import ai.djl.engine.Engine;
import ai.djl.ndarray.*;
import org.junit.jupiter.api.Test;
import java.nio.file.*;
import java.io.*;

class SmokeTest {
  @Test
  void loads() throws Exception {
    System.out.println(Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion());
    try (NDManager m = NDManager.newBaseManager();
         InputStream in = new BufferedInputStream(Files.newInputStream(Path.of(System.getProperty("candle.shared"), "reference/candle-golden/step_tiny.npz")))) {
      NDList l = NDList.decode(m, in);
      for (NDArray a : l) System.out.println(a.getName() + " " + a.getShape() + " " + a.getDataType());
    }
  }
}
