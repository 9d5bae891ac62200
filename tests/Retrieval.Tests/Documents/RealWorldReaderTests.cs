using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Tests.Chunking;

namespace KnowledgeQa.Retrieval.Tests.Documents;

/// <summary>
/// Every file of shared/data/realworld read as a careful reader would (<see cref="RealWorldExpectations"/>):
/// the text it must give, the markup that must be gone, the reason when it has no text; the same
/// text on every read (also in another process); nothing but text in any chunk.
/// </summary>
public class RealWorldReaderTests(TokenizerFixture tokenizer) : IClassFixture<TokenizerFixture>
{
    private const string ChildOutput = "KQA_READER_TEST_HASH_OUT";
    private const string BookPdf = "pdf/009-pdflatex-geotopo__GeoTopo-komprimiert.pdf";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static Task<Document> Read(string relativePath) =>
        DocumentReaderRegistry.CreateDefault().ReadFileAsync(RealWorldData.PathOf(relativePath), relativePath, Cancellation);

    public static TheoryData<string> Files() => RealWorldExpectations.Files();

    public static TheoryData<string> FilesWithText() => new(RealWorldExpectations.All.Where(e => e.Refused is null).Select(e => e.File));

    [Fact]
    public void Every_file_in_the_folder_has_an_expectation()
    {
        var folder = RealWorldData.Require();
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(folder, path).Replace('\\', '/'))
            .Where(path => !RealWorldExpectations.IsMetadata(path))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(files, RealWorldExpectations.All.Select(e => e.File).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Each_file_gives_the_text_a_careful_reader_would(string file)
    {
        RealWorldData.Require();
        var expected = RealWorldExpectations.All.Single(e => e.File == file);
        if (expected.Refused is { } reason)
        {
            var error = await Assert.ThrowsAsync<DocumentReadException>(() => Read(file));
            Assert.Equal(RealWorldData.PathOf(file), error.Path);
            foreach (var part in reason)
                Assert.Contains(part, error.Reason, StringComparison.OrdinalIgnoreCase);
            return;
        }

        var document = await Read(file);

        Assert.True(TextSanitizer.IsClean(document.Text), "the text holds control characters");
        var position = 0;
        foreach (var phrase in expected.Contains)
        {
            var at = document.Text.IndexOf(phrase, position, StringComparison.Ordinal);
            Assert.True(at >= 0, $"'{phrase}' is not in the text (after offset {position}):\n{Head(document.Text)}");
            position = at + phrase.Length;
        }
        var prose = string.Join("\n\n", document.Blocks.Where(b => b.Kind != BlockKind.Code).Select(b => document.Text.Substring(b.Start, b.Length)));
        foreach (var markup in expected.Absent)
            Assert.False(prose.Contains(markup, StringComparison.Ordinal), $"'{markup}' is left in the text:\n{Around(prose, markup)}");
        if (expected.Title is not null)
            Assert.Equal(expected.Title, document.Title);
        if (expected.Heading is not null)
            Assert.Contains(expected.Heading, DocumentAssert.Blocks(document).Where(b => b.Kind == BlockKind.Heading).Select(b => b.Text));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Each_file_gives_byte_identical_text_on_five_reads(string file)
    {
        RealWorldData.Require();
        if (RealWorldExpectations.All.Single(e => e.File == file).Refused is not null)
        {
            for (var i = 0; i < 5; i++)
                await Assert.ThrowsAsync<DocumentReadException>(() => Read(file));
            return;
        }
        var first = Fingerprint(await Read(file));
        for (var i = 1; i < 5; i++)
            Assert.Equal(first, Fingerprint(await Read(file))); // a fresh registry and readers each time
    }

    /// <summary>
    /// The 300-page book that once gained or lost a block of figure labels between runs, read by two more
    /// processes of this test assembly: all three must agree byte for byte.
    /// </summary>
    [Fact]
    public async Task The_book_pdf_gives_the_same_text_in_other_processes()
    {
        var own = Fingerprint(await Read(BookPdf));
        if (Environment.GetEnvironmentVariable(ChildOutput) is { Length: > 0 } output)
        {
            await File.WriteAllTextAsync(output, own, Cancellation); // this run is one of the other processes
            return;
        }
        for (var child = 0; child < 2; child++)
            Assert.Equal(own, await FingerprintInChildProcess());
    }

    /// <summary>
    /// One paragraph of the 300-page book edited (a sentence added in its middle), six times at different
    /// places: each time at most 2% of the chunks get text they did not have, so at most 2% need new
    /// embeddings where embeddings are kept by chunk text.
    /// </summary>
    [Fact]
    public async Task Editing_one_paragraph_of_the_book_changes_at_most_two_percent_of_its_chunks()
    {
        var book = await Read(BookPdf);
        var chunker = new TextChunker(tokenizer.Tokenizer, new ChunkingOptions());
        var original = chunker.Split(book).Select(c => c.Text).ToHashSet();
        var paragraphs = book.Blocks.Where(b => b.Kind == BlockKind.Paragraph && b.Length > 300).ToList();
        const string added = " Dieser Satz wurde bei einer Bearbeitung eingefügt.";

        var changed = new List<int>();
        for (var k = 0; k < 6; k++)
        {
            var paragraph = paragraphs[(k * 7919 + 13) % paragraphs.Count];
            var at = book.Text.IndexOf(' ', paragraph.Start + paragraph.Length / 2, paragraph.Length / 2);
            var text = book.Text.Insert(at, added);
            var blocks = book.Blocks.Select(b => b.Start > at ? b with { Start = b.Start + added.Length } : b == paragraph ? b with { Length = b.Length + added.Length } : b).ToList();
            var chunks = chunker.Split(new Document(book.Id, book.Source, text, blocks));
            changed.Add(chunks.Count(c => !original.Contains(c.Text)));
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{original.Count} chunks; changed per edit: {string.Join(", ", changed)}");
        Assert.All(changed, count => Assert.InRange(count, 1, original.Count * 2 / 100));
    }

    [Theory]
    [MemberData(nameof(FilesWithText))]
    public async Task No_chunk_holds_control_characters_or_markup(string file)
    {
        var expected = RealWorldExpectations.All.Single(e => e.File == file);
        var document = await Read(file);
        var chunks = new TextChunker(tokenizer.Tokenizer, new ChunkingOptions()).Split(document);

        Assert.NotEmpty(chunks);
        var codeSpans = document.Blocks.Where(b => b.Kind == BlockKind.Code).ToList();
        foreach (var chunk in chunks)
        {
            Assert.True(TextSanitizer.IsClean(chunk.Text), $"chunk {chunk.Index} holds control characters");
            if (codeSpans.Exists(code => code.Start < chunk.End && chunk.Start < code.End))
                continue; // code samples keep their <div>s
            foreach (var markup in expected.Absent)
                Assert.DoesNotContain(markup, chunk.Text, StringComparison.Ordinal);
        }
    }

    private static string Fingerprint(Document document)
    {
        var text = new StringBuilder(document.Text).Append('\u0001').Append(document.Title).Append('\u0001').AppendJoin(',', document.Tags);
        foreach (var block in document.Blocks)
            text.Append('\u0001').Append($"{block.Kind}:{block.Start}:{block.Length}:{block.HeadingLevel}:{block.Page}");
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static async Task<string> FingerprintInChildProcess()
    {
        var output = Path.Combine(Path.GetTempPath(), $"kqa-reader-hash-{Guid.NewGuid():N}.txt");
        try
        {
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in (string[])["exec", typeof(RealWorldReaderTests).Assembly.Location, "-method",
                $"{typeof(RealWorldReaderTests).FullName}.{nameof(The_book_pdf_gives_the_same_text_in_other_processes)}"])
                start.ArgumentList.Add(argument);
            start.Environment[ChildOutput] = output;
            start.Environment[RealWorldData.EnvironmentVariable] = RealWorldData.Require();
            using var process = Process.Start(start)!;
            var log = process.StandardOutput.ReadToEndAsync(Cancellation);
            var errors = process.StandardError.ReadToEndAsync(Cancellation);
            await process.WaitForExitAsync(Cancellation);
            Assert.True(process.ExitCode == 0 && File.Exists(output), $"the other process failed ({process.ExitCode}):\n{await log}\n{await errors}");
            return await File.ReadAllTextAsync(output, Cancellation);
        }
        finally
        {
            File.Delete(output);
        }
    }

    private static string Head(string text) => text.Length <= 600 ? text : text[..600] + "…";

    private static string Around(string text, string part)
    {
        var at = text.IndexOf(part, StringComparison.Ordinal);
        return text.Substring(Math.Max(0, at - 100), Math.Min(text.Length - Math.Max(0, at - 100), 250));
    }
}
