package ai.candle.cli.ops;

import java.nio.file.Path;
import java.util.List;

/** One record {@code candle send} will send, read and checked, with where it came from. */
sealed interface SendEvent {

  /** Where in the input it was, e.g. {@code images.csv:7} or a file's path. */
  String where();

  /**
   * A labelled or unlabelled image: exactly one of {@code image}, {@code uri}, {@code feature}.
   *
   * @param label the class (null: an unlabelled image)
   * @param image a file whose bytes are sent for the streams app's encoder
   * @param imageBytes the file's size
   * @param source the labelled image's producer or dataset name (null: none)
   */
  record Image(
      String where,
      String id,
      String label,
      Path image,
      long imageBytes,
      String uri,
      float[] feature,
      String source)
      implements SendEvent {}

  /**
   * A class announcement.
   *
   * @param prompt the full prompt (null: the template's, or the streams app's prompt.template)
   * @param template a template with one {} for the name (null: none)
   * @param feature the class's CLIP text feature (null: the streams app's text encoder makes it)
   */
  record Announcement(
      String where,
      String name,
      String prompt,
      String template,
      List<String> aliases,
      float[] feature)
      implements SendEvent {}
}
