using KnowledgeQa.Retrieval;

namespace KnowledgeQa.Agents.Chat;

/// <summary>
/// A chat model could not be configured or loaded: a missing or broken model folder, a missing
/// native runtime, an execution provider this build lacks. The message names the file or value and
/// says what to do.
/// </summary>
public sealed class ChatModelException(string message, Exception? inner = null) : KnowledgeQaException(message, inner);
