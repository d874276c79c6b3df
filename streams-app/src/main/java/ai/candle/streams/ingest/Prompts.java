package ai.candle.streams.ingest;

import ai.candle.clip.PromptTemplates;
import ai.candle.schemas.ClassAnnouncement;

/** Builds the prompt a class's text feature belongs to. */
final class Prompts {

  static final String PLACEHOLDER = PromptTemplates.PLACEHOLDER;
  static final String DEFAULT_TEMPLATE = PromptTemplates.DEFAULT_TEMPLATE;

  private Prompts() {}

  /** The class name as it reads in a prompt: {@code _} is read as a space. */
  static String displayName(String className) {
    return PromptTemplates.displayName(className);
  }

  static String fromTemplate(String template, String className) {
    return template.replace(PLACEHOLDER, displayName(className));
  }

  /** The announcement's full prompt, else its template, else the configured template. */
  static String effective(
      ClassAnnouncement announcement, String className, String defaultTemplate) {
    if (announcement.getPrompt() != null) {
      return announcement.getPrompt();
    }
    if (announcement.getPromptTemplate() != null) {
      return fromTemplate(announcement.getPromptTemplate(), className);
    }
    return fromTemplate(defaultTemplate, className);
  }

  /** Whether the announcement asks for a prompt of its own. */
  static boolean isExplicit(ClassAnnouncement announcement) {
    return announcement.getPrompt() != null || announcement.getPromptTemplate() != null;
  }
}
