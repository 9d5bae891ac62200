namespace KnowledgeQa.Retrieval.Documents;

/// <summary>
/// Chooses a reader for a file by its content (magic numbers, BOMs, binary bytes) and its
/// extension, reads it, and turns every way a file can fail into a
/// <see cref="DocumentReadException"/> naming the file and the reason, so one bad file never
/// stops a batch.
/// </summary>
public sealed class DocumentReaderRegistry
{
    /// <summary>Extensions the built-in readers claim (lower case, with the dot).</summary>
    public static IReadOnlyList<string> BuiltInExtensions => BuiltIn;

    private static readonly string[] BuiltIn = [".txt", ".text", ".md", ".markdown", ".htm", ".html", ".xhtml", ".pdf", ".docx"];

    private readonly IDocumentReader[] _readers;

    public DocumentReaderRegistry(IEnumerable<IDocumentReader> readers, ReaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(readers);
        Options = options ?? new ReaderOptions();
        Options.Validate();
        _readers = readers.ToArray();
    }

    public ReaderOptions Options { get; }

    /// <summary>The readers, asked in this order.</summary>
    public IReadOnlyList<IDocumentReader> Readers => _readers;

    /// <summary>The built-in readers: PDF, Word, HTML, Markdown, plain text.</summary>
    public static DocumentReaderRegistry CreateDefault(ReaderOptions? options = null)
    {
        options ??= new ReaderOptions();
        return new DocumentReaderRegistry(CreateDefaultReaders(options), options);
    }

    /// <summary>The built-in readers, for hosts that put their own before or after them.</summary>
    public static IReadOnlyList<IDocumentReader> CreateDefaultReaders(ReaderOptions options) =>
    [
        new PdfReader(options),
        new DocxReader(options),
        new HtmlReader(options),
        new MarkdownReader(options),
        new PlainTextReader(options),
    ];

    internal static bool IsKnownExtension(string fileName) =>
        ContentSniffer.HasExtension(fileName, BuiltIn);

    /// <summary>The first reader that claims the file, or null when none does.</summary>
    public IDocumentReader? Find(string fileName, ReadOnlySpan<byte> head)
    {
        foreach (var reader in _readers)
        {
            if (reader.CanRead(fileName, head))
                return reader;
        }
        return null;
    }

    /// <summary>Reads a file from disk, within <see cref="ReaderOptions.MaxFileBytes"/>.</summary>
    public async Task<Document> ReadFileAsync(string path, string documentId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = CheckFile(path);
        try
        {
            // The readers read the file where it lies: text is decoded as it streams by, a .docx
            // inflates only the parts it reads; nothing but a PDF is loaded whole.
            await using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
                bufferSize: 16 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
            return await ReadStreamAsync(stream, Path.GetFileName(path), documentId, path, cancellationToken).ConfigureAwait(false);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new DocumentReadException(path, "permission denied: make the file readable by the user running the ingest", e);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DocumentReadException(path, "not found (it disappeared while being read)", e);
        }
        catch (IOException e)
        {
            throw new DocumentReadException(path, $"read failed: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads an upload or any other stream; <paramref name="source"/> names it in errors and citations.
    /// A seekable stream (a file, an upload buffered on disk) is read in place and never copied whole;
    /// another is buffered, at most <see cref="ReaderOptions.MaxFileBytes"/> of it.
    /// </summary>
    public async Task<Document> ReadAsync(Stream content, string fileName, string documentId, string source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(source);
        try
        {
            return await ReadStreamAsync(content, fileName, documentId, source, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new DocumentReadException(source, $"read failed: {e.Message}", e);
        }
    }

    private static string CheckFile(string path)
    {
        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new DocumentReadException(path, $"not a valid path: {e.Message}", e);
        }
        if (Directory.Exists(fullPath))
            throw new DocumentReadException(path, "is a directory, not a file");
        if (FileLinks.BrokenLinkTarget(fullPath) is { } target)
            throw new DocumentReadException(path, $"broken symbolic link (points to '{target}')");
        if (!File.Exists(fullPath))
            throw new DocumentReadException(path, "not found");
        if (UnixFileKind.DescribeSpecialFile(fullPath) is { } special)
            throw new DocumentReadException(path, $"not a regular file ({special}): nothing to read");
        return fullPath;
    }

    private async Task<Document> ReadStreamAsync(Stream content, string fileName, string documentId, string source, CancellationToken cancellationToken)
    {
        // A stream that knows its length is judged by it before a byte is read. One that does not, or
        // says 0 (files in /proc do), or is not at its start, is copied first, within the limit.
        if (content.CanSeek && content.Position == 0 && content.Length > 0)
        {
            if (content.Length > Options.MaxFileBytes)
                throw OverLimit(source, content.Length);
            return await ReadSeekableAsync(content, fileName, documentId, source, cancellationToken).ConfigureAwait(false);
        }
        await using var buffered = await ReadBoundedAsync(content, source, cancellationToken).ConfigureAwait(false);
        return await ReadSeekableAsync(buffered, fileName, documentId, source, cancellationToken).ConfigureAwait(false);
    }

    // Reads at most MaxFileBytes + 1 bytes: a stream that lies about (or does not know) its length
    // still cannot make us buffer more than the limit.
    private async Task<MemoryStream> ReadBoundedAsync(Stream stream, string source, CancellationToken cancellationToken)
    {
        var limit = Options.MaxFileBytes;
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        while (true)
        {
            int read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (read == 0)
                break;
            if (buffer.Length + read > limit)
                throw OverLimit(source, stream.CanSeek ? stream.Length : buffer.Length + read);
            buffer.Write(chunk, 0, read);
        }
        buffer.Position = 0;
        return buffer;
    }

    private DocumentReadException OverLimit(string source, long size) =>
        new(source, $"file is {FormatBytes(size)}{(size > Options.MaxFileBytes ? "" : " or more")}, over the limit of " +
            $"{FormatBytes(Options.MaxFileBytes)} (ReaderOptions.MaxFileBytes): split it or raise the limit");

    /// <summary>Picks the reader by the first bytes and reads; <paramref name="content"/> is seekable and at its start.</summary>
    private async Task<Document> ReadSeekableAsync(Stream content, string fileName, string documentId, string source, CancellationToken cancellationToken)
    {
        if (content.Length == 0)
            throw new DocumentReadException(source, "no text: the file is empty (0 bytes)");
        var headBytes = new byte[(int)Math.Min(content.Length, ContentSniffer.HeadLength)];
        var headLength = await content.ReadAtLeastAsync(headBytes, headBytes.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        content.Position = 0;
        var head = headBytes.AsSpan(0, headLength);
        var reader = Find(fileName, head) ?? throw new DocumentReadException(source, WhyNoReader(fileName, head));
        var context = new DocumentReadContext(documentId, source, fileName) { EncodingName = Options.EncodingName };

        Document document;
        try
        {
            document = await reader.ReadAsync(content, context, cancellationToken).ConfigureAwait(false);
        }
        catch (DocumentReadException)
        {
            throw;
        }
        catch (IOException e)
        {
            throw new DocumentReadException(source, $"read failed: {e.Message}", e);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (KnowledgeQaException e)
        {
            throw new DocumentReadException(source, e.Message, e);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or InsufficientExecutionStackException))
        {
            // A reader (often a parsing library) failed in a way it did not foresee: still one bad
            // file, not a failed batch.
            throw new DocumentReadException(source, $"could not be read ({reader.GetType().Name}: {e.GetType().Name}: {e.Message})", e);
        }

        if (string.IsNullOrWhiteSpace(document.Text))
            throw new DocumentReadException(source, "no text: the file is empty or whitespace only");
        if (document.Text.Length > Options.MaxTextCharacters)
            throw new DocumentReadException(source, new TextLimitExceededException(Options.MaxTextCharacters).Message);
        return document;
    }

    private static string WhyNoReader(string fileName, ReadOnlySpan<byte> head) => ContentSniffer.Sniff(head) switch
    {
        SniffedFormat.Binary => "binary content, not text: only text, Markdown, HTML, PDF and .docx files can be read",
        SniffedFormat.OtherZip => "a zip archive that is not a Word .docx document",
        _ => Path.GetExtension(fileName) is { Length: > 0 } extension
            ? $"unsupported file type '{extension}'"
            : "unsupported file type",
    };

    private static string FormatBytes(long bytes) => bytes switch
    {
        >= 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.#} MB",
        >= 1024 => $"{bytes / 1024.0:0.#} KB",
        _ => $"{bytes} bytes",
    };
}
