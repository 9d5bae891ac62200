namespace KnowledgeQa.Retrieval;

/// <summary>
/// Base of the errors a user can cause (bad file, missing model, unreachable store, bad option).
/// The message says what was wrong and what to do; the CLI prints it as one line.
/// </summary>
public class KnowledgeQaException : Exception
{
    public KnowledgeQaException(string message) : base(message) { }
    public KnowledgeQaException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>A file could not be read into a document. <see cref="Path"/> names the file.</summary>
public sealed class DocumentReadException : KnowledgeQaException
{
    public DocumentReadException(string path, string reason, Exception? inner = null)
        : base($"{path}: {reason}", inner)
    {
        Path = path;
        Reason = reason;
    }

    public string Path { get; }
    public string Reason { get; }
}

/// <summary>An embedding model could not be loaded or does not fit the store.</summary>
public sealed class EmbeddingModelException(string message, Exception? inner = null) : KnowledgeQaException(message, inner);

/// <summary>The knowledge store is unreachable, corrupt, or configured for another model (see also StoreErrors.cs).</summary>
public class KnowledgeStoreException(string message, Exception? inner = null) : KnowledgeQaException(message, inner);

/// <summary>An option has a value that cannot work; the message names the option.</summary>
public sealed class InvalidOptionException(string message) : KnowledgeQaException(message);
