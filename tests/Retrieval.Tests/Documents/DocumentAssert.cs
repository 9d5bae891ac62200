using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Retrieval.Tests.Documents;

internal static class DocumentAssert
{
    /// <summary>Each block as (kind, level, text), the text cut from the document by the block's offsets.</summary>
    public static List<(BlockKind Kind, int Level, string Text)> Blocks(Document document)
    {
        Assert.All(document.Blocks, b => Assert.InRange(b.End, b.Start, document.Text.Length));
        return document.Blocks.Select(b => (b.Kind, b.HeadingLevel, document.Text.Substring(b.Start, b.Length))).ToList();
    }

    public static async Task<DocumentReadException> Refused(DocumentReaderRegistry registry, string path, params string[] reasonParts)
    {
        var error = await Assert.ThrowsAsync<DocumentReadException>(() => registry.ReadFileAsync(path, Path.GetFileName(path), TestContext.Current.CancellationToken));
        Assert.Equal(path, error.Path);
        Assert.Contains(path, error.Message);
        foreach (var part in reasonParts)
            Assert.Contains(part, error.Reason, StringComparison.OrdinalIgnoreCase);
        return error;
    }
}
