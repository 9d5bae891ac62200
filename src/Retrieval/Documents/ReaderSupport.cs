namespace KnowledgeQa.Retrieval.Documents;

/// <summary>Small helpers the built-in readers share.</summary>
internal static class ReaderSupport
{
    /// <summary>
    /// The content's bytes from its position, in one array of the right size when the stream knows its
    /// length (no doubling buffers, no second copy of a large file).
    /// </summary>
    public static async Task<byte[]> ReadAllBytesAsync(Stream content, CancellationToken cancellationToken)
    {
        if (content is MemoryStream memory && memory.TryGetBuffer(out var buffer) && memory.Position == 0
            && buffer.Offset == 0 && buffer.Count == buffer.Array!.Length)
            return buffer.Array;
        if (content.CanSeek)
        {
            var bytes = new byte[checked((int)(content.Length - content.Position))];
            await content.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
            return bytes;
        }
        using var copy = new MemoryStream();
        await content.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
        return copy.ToArray();
    }

    /// <summary>The content itself when it can seek (a file, an upload buffered on disk), else a copy in memory.</summary>
    public static async Task<Stream> SeekableAsync(Stream content, CancellationToken cancellationToken)
    {
        if (content.CanSeek)
            return content;
        var copy = new MemoryStream();
        await content.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
        copy.Position = 0;
        return copy;
    }

    /// <summary>
    /// Decodes the content into <paramref name="sink"/> as it reads it (see <see cref="TextDecoder.DecodeAsync"/>),
    /// turning bytes that are not text into a <see cref="DocumentReadException"/>.
    /// </summary>
    public static async Task<DecodedText> ReadTextAsync(Stream content, DocumentReadContext context, DecodedTextSink sink, CancellationToken cancellationToken)
    {
        var seekable = await SeekableAsync(content, cancellationToken).ConfigureAwait(false);
        try
        {
            var encoding = await TextDecoder.DecodeAsync(seekable, context.EncodingName, sink, cancellationToken).ConfigureAwait(false);
            return new DecodedText(sink.ToString(), encoding);
        }
        catch (TextDecodingException e)
        {
            throw new DocumentReadException(context.Source, e.Message);
        }
        catch (InvalidOptionException e)
        {
            throw new DocumentReadException(context.Source, e.Message, e);
        }
        finally
        {
            if (!ReferenceEquals(seekable, content))
                await seekable.DisposeAsync().ConfigureAwait(false);
        }
    }
}
