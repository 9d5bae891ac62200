namespace KnowledgeQa.Retrieval.Documents;

/// <summary>Small helpers the built-in readers share.</summary>
internal static class ReaderSupport
{
    public static async Task<byte[]> ReadAllBytesAsync(Stream content, CancellationToken cancellationToken)
    {
        if (content is MemoryStream memory && memory.TryGetBuffer(out var buffer) && memory.Position == 0)
            return buffer.AsSpan().ToArray();
        using var copy = new MemoryStream();
        await content.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
        return copy.ToArray();
    }

    public static DecodedText DecodeText(byte[] bytes, DocumentReadContext context)
    {
        try
        {
            return TextDecoder.Decode(bytes, context.EncodingName);
        }
        catch (TextDecodingException e)
        {
            throw new DocumentReadException(context.Source, e.Message);
        }
        catch (InvalidOptionException e)
        {
            throw new DocumentReadException(context.Source, e.Message, e);
        }
    }

    /// <summary>Line ends as '\n' only and no BOM character, so offsets mean the same on every platform.</summary>
    public static string NormalizeNewlines(string text) =>
        text.Replace("\r\n", "\n").Replace('\r', '\n').TrimStart('\uFEFF');
}
