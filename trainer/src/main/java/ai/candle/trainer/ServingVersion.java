package ai.candle.trainer;

import ai.candle.core.CandleModel;
import ai.candle.schemas.ModelVersions.ClassBook;
import ai.candle.schemas.ModelVersions.Origin;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The version being served (the last one published, or the one a restarted trainer resumed from),
 * with what it accounted for: extends append to it, the gate compares candidates with it.
 */
record ServingVersion(
    long version,
    CandleModel model,
    Origin origin,
    Map<String, ClassBook> books,
    Map<String, Double> metrics) {

  ServingVersion {
    books = Map.copyOf(books);
    metrics = Map.copyOf(metrics);
  }

  /** A draft once published as {@code version}. */
  static ServingVersion published(long version, VersionDraft draft) {
    return new ServingVersion(
        version, draft.model(), draft.origin(), draft.books(), draft.metrics());
  }

  /** Every class of the version. */
  Set<String> classNames() {
    return Set.copyOf(model.classNames());
  }

  /** The classes the version was fitted on (it has training samples of them). */
  List<String> baseClasses() {
    return model.classNames().subList(0, model.baseClasses());
  }

  /** What the version accounted for, for the refit triggers of a trainer that resumes from it. */
  RefitPolicy.Mark mark() {
    return RefitPolicy.Mark.resumedFrom(books.values(), baseClasses());
  }
}
