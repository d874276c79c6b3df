package ai.candle.cli;

import ai.candle.cli.Evaluation.DatasetSummary;
import ai.candle.cli.Evaluation.Outcome;
import ai.candle.cli.Evaluation.Report;
import ai.candle.cli.Metrics.Accuracies;
import ai.candle.cli.Metrics.SplitAccuracy;
import ai.candle.core.AdaptiveFit;
import ai.candle.core.FrequencyBucket;
import ai.candle.core.ScoreWeights;
import ai.candle.core.WeightSelection;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * Renders an evaluation {@link Report} as one JSON object or as a table.
 *
 * <h2>JSON</h2>
 *
 * <pre>{@code
 * {"dataset": {"dir", "classes", "base_classes", "train", "test", "dim", "synthetic",
 *              "test_per_bucket": {"many", "medium", "few", "new"}},
 *  "device": "cpu()",
 *  "zero_shot": {"all": {"base", "new", "hm"}, "split": {"base", "new", "hm"},
 *                "buckets": {"many", "medium", "few", "new"}},
 *  "candle": {same keys, plus "hyper_parameters", "fit_seconds", "score_images_per_second",
 *             "epoch_loss", and in the adaptive mode "weights": {"text_weight", "prior_weight",
 *             "head_weight", "base_offset", "zero_shot"} and "selection": {"prior": STAGE,
 *             "head": STAGE or null, "head_note", "head_fitted", "seconds"}},
 *  "fit_seconds": x, "score_images_per_second": x}
 * }</pre>
 *
 * A STAGE is one step of the weights' selection ({@code WeightSelection}): {"weights", "chosen":
 * {"base", "new", "hm"} (cross-validated estimate of the chosen weights), "reference" (the same for
 * what they had to beat: zero-shot CLIP, or for the head the same weights without it), "gain",
 * "standard_error", "candidates", "base_like_classes", "new_like_classes", "images", "decision"}.
 *
 * <p>Accuracies are fractions in [0, 1], nested so that the dotted names {@code candle.all.base},
 * {@code candle.split.hm}, {@code zero_shot.buckets.few} ... are paths into the object (e.g. {@code
 * jq .candle.split.hm}). An accuracy over no test images, and the harmonic mean when one side has
 * none, are {@code null}; every bucket key is present. The top-level {@code fit_seconds} and {@code
 * score_images_per_second} are those of the primary configuration ({@code candle}).
 */
final class Reports {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Reports() {}

  static String json(Report r) {
    ObjectNode root = JSON.createObjectNode();
    root.set("dataset", dataset(r.dataset()));
    root.put("device", r.device());
    root.set("zero_shot", accuracies(r.zeroShot()));
    for (Outcome o : r.candle()) {
      ObjectNode node = accuracies(o.accuracies());
      ObjectNode hp = node.putObject("hyper_parameters");
      hp.put("epochs", o.configuration().hyper().epochs());
      hp.put("batch", o.configuration().hyper().batchSize());
      hp.put("lr", o.configuration().hyper().learningRate());
      hp.put("scale", o.configuration().hyper().scale());
      hp.put("seed", o.configuration().hyper().seed());
      hp.put("mode", o.configuration().hyper().mode().name().toLowerCase(java.util.Locale.ROOT));
      if (o.fitted() != null) {
        node.set("weights", weightsNode(o.fitted().model().weights()));
        node.set("selection", selection(o.fitted()));
      }
      node.put("fit_seconds", round(o.fitSeconds(), 3));
      node.put(
          "score_images_per_second",
          o.scoreImagesPerSecond() == null ? null : round(o.scoreImagesPerSecond(), 1));
      node.putPOJO("epoch_loss", o.epochLoss().stream().map(v -> round(v, 5)).toList());
      root.set(o.configuration().key(), node);
    }
    Outcome primary = r.primary();
    root.put("fit_seconds", round(primary.fitSeconds(), 3));
    root.put(
        "score_images_per_second",
        primary.scoreImagesPerSecond() == null ? null : round(primary.scoreImagesPerSecond(), 1));
    try {
      return JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** k, λ, η, β as a JSON object. */
  static ObjectNode weightsNode(ScoreWeights w) {
    ObjectNode n = JSON.createObjectNode();
    n.put("text_weight", w.textWeight());
    n.put("prior_weight", w.priorWeight());
    n.put("head_weight", w.headWeight());
    n.put("base_offset", w.baseOffset());
    n.put("zero_shot", w.isZeroShot());
    return n;
  }

  /** The weights in words. */
  static String weights(ScoreWeights w) {
    return w.isZeroShot()
        ? "zero-shot CLIP (every correction off)"
        : String.format(
            Locale.ROOT,
            "k %s, λ %s, η %s, β %s",
            w.textWeight(),
            w.priorWeight(),
            w.headWeight(),
            w.baseOffset());
  }

  private static ObjectNode selection(AdaptiveFit.Fitted f) {
    ObjectNode n = JSON.createObjectNode();
    n.set("prior", stage(f.prior()));
    if (f.head() != null) {
      n.set("head", stage(f.head()));
    } else {
      n.putNull("head");
      n.put("head_note", f.headNote());
    }
    n.put("head_fitted", f.headFitted());
    n.put("seconds", round(f.seconds(), 3));
    return n;
  }

  private static ObjectNode stage(WeightSelection.Result r) {
    ObjectNode n = JSON.createObjectNode();
    n.set("weights", weightsNode(r.weights()));
    n.set("chosen", estimate(r.chosen()));
    n.set("reference", estimate(r.zeroShot()));
    n.put("gain", finite(r.gain()));
    n.put("standard_error", finite(r.standardError()));
    n.put("candidates", r.candidates());
    n.put("base_like_classes", r.baseLikeClasses());
    n.put("new_like_classes", r.newLikeClasses());
    n.put("images", r.images());
    n.put("decision", r.decision());
    return n;
  }

  private static ObjectNode estimate(WeightSelection.Estimate e) {
    ObjectNode n = JSON.createObjectNode();
    n.put("base", finite(e.base()));
    n.put("new", finite(e.novel()));
    n.put("hm", finite(e.hm()));
    return n;
  }

  private static Double finite(double v) {
    return Double.isFinite(v) ? round(v, 5) : null;
  }

  private static ObjectNode dataset(DatasetSummary d) {
    ObjectNode n = JSON.createObjectNode();
    n.put("dir", d.dir().toString());
    n.put("classes", d.classes());
    n.put("base_classes", d.baseClasses());
    n.put("train", d.train());
    n.put("test", d.test());
    n.put("dim", d.dim());
    n.put("synthetic", d.synthetic());
    ObjectNode b = n.putObject("test_per_bucket");
    for (FrequencyBucket bucket : FrequencyBucket.values()) {
      b.put(bucket.tag(), d.testPerBucket().getOrDefault(bucket, 0));
    }
    return n;
  }

  private static ObjectNode accuracies(Accuracies a) {
    ObjectNode n = JSON.createObjectNode();
    n.set("all", split(a.all()));
    n.set("split", split(a.split()));
    ObjectNode b = n.putObject("buckets");
    for (FrequencyBucket bucket : FrequencyBucket.values()) {
      b.put(bucket.tag(), a.buckets().get(bucket));
    }
    return n;
  }

  private static ObjectNode split(SplitAccuracy s) {
    ObjectNode n = JSON.createObjectNode();
    n.put("base", s.base());
    n.put("new", s.novel());
    n.put("hm", s.hm());
    return n;
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  /** A table for people: accuracies in percent. */
  static String table(Report r) {
    StringBuilder sb = new StringBuilder();
    DatasetSummary d = r.dataset();
    sb.append(
        String.format(
            Locale.ROOT,
            "dataset  %s%s: %d classes (%d base, %d new), D=%d, %d train / %d test images%n",
            d.dir(),
            d.synthetic() ? " (synthetic)" : "",
            d.classes(),
            d.baseClasses(),
            d.classes() - d.baseClasses(),
            d.dim(),
            d.train(),
            d.test()));
    sb.append(String.format(Locale.ROOT, "device   %s%n%n", r.device()));
    String row = "%-12s %7s %7s %7s   %7s %7s %7s   %7s %7s %7s %7s%n";
    sb.append(
        String.format(
            Locale.ROOT,
            row,
            "accuracy %",
            "all:",
            "",
            "",
            "split:",
            "",
            "",
            "bucket:",
            "",
            "",
            ""));
    sb.append(
        String.format(
            Locale.ROOT,
            row,
            "",
            "base",
            "new",
            "HM",
            "base",
            "new",
            "HM",
            "many",
            "medium",
            "few",
            "new"));
    sb.append(tableRow(row, "zero-shot", r.zeroShot()));
    for (Outcome o : r.candle()) {
      sb.append(tableRow(row, o.configuration().key(), o.accuracies()));
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "%ntest images per bucket: many %d, medium %d, few %d, new %d%n",
            d.testPerBucket().getOrDefault(FrequencyBucket.MANY, 0),
            d.testPerBucket().getOrDefault(FrequencyBucket.MEDIUM, 0),
            d.testPerBucket().getOrDefault(FrequencyBucket.FEW, 0),
            d.testPerBucket().getOrDefault(FrequencyBucket.NEW, 0)));
    for (Outcome o : r.candle()) {
      sb.append(
          String.format(
              Locale.ROOT,
              "%s: fit %.2f s (%d epochs), scoring %s images/s (each image alone)%n",
              o.configuration().key(),
              o.fitSeconds(),
              o.configuration().hyper().epochs(),
              o.scoreImagesPerSecond() == null
                  ? "-"
                  : String.format(Locale.ROOT, "%.0f", o.scoreImagesPerSecond())));
      if (o.fitted() != null) {
        AdaptiveFit.Fitted f = o.fitted();
        sb.append(
            String.format(
                Locale.ROOT,
                "%s: weights %s%n  k, λ, β: %s%n  η: %s%n",
                o.configuration().key(),
                weights(f.model().weights()),
                f.prior().decision(),
                f.head() != null ? f.head().decision() : f.headNote()));
      }
    }
    return sb.toString();
  }

  private static String tableRow(String format, String name, Accuracies a) {
    return String.format(
        Locale.ROOT,
        format,
        name,
        pct(a.all().base()),
        pct(a.all().novel()),
        pct(a.all().hm()),
        pct(a.split().base()),
        pct(a.split().novel()),
        pct(a.split().hm()),
        pct(a.buckets().get(FrequencyBucket.MANY)),
        pct(a.buckets().get(FrequencyBucket.MEDIUM)),
        pct(a.buckets().get(FrequencyBucket.FEW)),
        pct(a.buckets().get(FrequencyBucket.NEW)));
  }

  private static String pct(Double v) {
    return v == null ? "-" : String.format(Locale.ROOT, "%.2f", 100 * v);
  }
}
