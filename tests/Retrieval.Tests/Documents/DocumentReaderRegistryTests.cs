using System.Text;
using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Retrieval.Tests.Documents;

public sealed class DocumentReaderRegistryTests : IDisposable
{
    private readonly TempFolder _folder = new();
    // A low unpacking limit keeps the zip bomb below small and quick to make.
    private readonly DocumentReaderRegistry _registry = DocumentReaderRegistry.CreateDefault(new ReaderOptions { MaxDecompressedBytes = 4 * 1024 * 1024 });

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("report.pdf", "pdf", typeof(PdfReader))]
    [InlineData("report.txt", "pdf", typeof(PdfReader))] // content wins over a wrong name
    [InlineData("report.docx", "docx", typeof(DocxReader))]
    [InlineData("report.bin", "docx", typeof(DocxReader))]
    [InlineData("page.htm", "html", typeof(HtmlReader))]
    [InlineData("page", "html", typeof(HtmlReader))]
    [InlineData("notes.md", "text", typeof(MarkdownReader))]
    [InlineData("notes.txt", "html", typeof(PlainTextReader))] // a .txt that happens to hold markup stays text
    [InlineData("server.log", "text", typeof(PlainTextReader))]
    [InlineData("README", "text", typeof(PlainTextReader))]
    [InlineData("image.png", "binary", null)]
    [InlineData("data.txt", "binary", null)]
    [InlineData("archive.zip", "zip", null)]
    public void Readers_are_chosen_by_content_and_extension(string fileName, string content, Type? expected)
    {
        byte[] head = content switch
        {
            "pdf" => TestFiles.Pdf(TestFiles.Body(780, "x")),
            "docx" => TestFiles.Docx(null, [TestFiles.Para("x")]),
            "html" => "<!DOCTYPE html><html><body>x</body></html>"u8.ToArray(),
            "text" => "# Notes\n\nplain words"u8.ToArray(),
            "binary" => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52],
            _ => TestFiles.DocxZipBomb(0).Select((b, i) => i < 400 ? b : (byte)0).ToArray()[..30],
        };

        var reader = _registry.Find(fileName, head.AsSpan(0, Math.Min(head.Length, 4096)));

        Assert.Equal(expected, reader?.GetType());
    }

    [Fact]
    public async Task A_host_reader_put_first_takes_precedence()
    {
        var csv = new CsvReader();
        var registry = new DocumentReaderRegistry([csv, .. DocumentReaderRegistry.CreateDefaultReaders(new ReaderOptions())]);
        var path = _folder.Write("table.csv", "a,b\n1,2\n");

        var document = await registry.ReadFileAsync(path, "table.csv", TestContext.Current.CancellationToken);

        Assert.Equal("text/csv", document.MediaType);
        Assert.Equal(path, document.Source);
        Assert.Equal("table.csv", document.Id);
    }

    [Fact]
    public async Task Hostile_files_are_each_refused_naming_the_file_and_the_reason()
    {
        var cases = new (string Name, byte[] Bytes, string[] Reason)[]
        {
            ("empty.txt", [], ["no text", "empty"]),
            ("blank.txt", "  \n\t\r\n   \n"u8.ToArray(), ["no text", "whitespace"]),
            ("blank.md", "\n\n   \n"u8.ToArray(), ["no text"]),
            ("blank.html", "<html><body> <div>  </div> <script>x()</script></body></html>"u8.ToArray(), ["no text"]),
            ("binary.txt", Enumerable.Range(0, 3000).Select(i => (byte)(i * 7919 % 256)).ToArray(), ["binary"]),
            ("latin1.txt", Encoding.Latin1.GetBytes("D\u00e9j\u00e0 vu \u00e0 la cr\u00e8me"), ["not valid UTF-8"]),
            ("truncated.pdf", TestFiles.Pdf(TestFiles.Body(780, "text"))[..300], ["damaged or truncated PDF"]),
            ("corrupt.pdf", "%PDF-1.4\n%garbage garbage\n1 0 obj <<<<>>>> endobj\n%%EOF"u8.ToArray(), ["damaged or truncated PDF"]),
            ("encrypted.pdf", TestFiles.EncryptedPdf(), ["encrypted", "decrypt it first"]),
            ("drawing.pdf", TestFiles.PdfWithOnlyARectangle(), ["no text", "neither text nor images"]),
            ("scanned.pdf", TestFiles.PdfWithOnlyAnImage(), ["no text layer", "only images (scanned?)", "OCR"]),
            ("truncated.docx", TestFiles.Docx(null, [TestFiles.Para("words")])[..500], ["truncated or corrupt .docx"]),
            ("bomb.docx", TestFiles.DocxZipBomb(zeroMegabytes: 8), ["zip bomb"]),
            ("deep.html", Encoding.ASCII.GetBytes("<html><body>" + string.Concat(Enumerable.Repeat("<div>", 100_000))), ["nested deeper"]),
        };
        foreach (var (name, bytes, reason) in cases)
            await DocumentAssert.Refused(_registry, _folder.Write(name, bytes), reason);
    }

    [Fact]
    public async Task A_file_over_the_size_limit_is_refused_before_reading()
    {
        var registry = DocumentReaderRegistry.CreateDefault(new ReaderOptions { MaxFileBytes = 1000 });
        var path = _folder.Write("big.txt", new string('a', 1001));

        await DocumentAssert.Refused(registry, path, "over the limit", "MaxFileBytes");
        Assert.NotNull(await registry.ReadFileAsync(_folder.Write("small.txt", new string('a', 1000)), "small.txt", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_stream_over_the_size_limit_is_refused_even_when_its_length_is_unknown()
    {
        var registry = DocumentReaderRegistry.CreateDefault(new ReaderOptions { MaxFileBytes = 1000 });
        using var stream = new NonSeekableStream(new byte[5000]);

        var error = await Assert.ThrowsAsync<DocumentReadException>(
            () => registry.ReadAsync(stream, "upload.txt", "upload.txt", "https://host/upload.txt", TestContext.Current.CancellationToken));

        Assert.Equal("https://host/upload.txt", error.Path);
        Assert.Contains("over the limit", error.Reason);
    }

    [Theory]
    [InlineData("utf-8.txt")]
    [InlineData("utf-16.txt")]
    public async Task A_text_over_the_text_limit_is_refused_after_reading_little_more_than_the_limit(string name)
    {
        // 4 MB of lines against a limit of 100,000 characters: the reader must stop near the limit, not
        // hold the file (a 49 MB upload once kept the server at 2.3 times its idle memory).
        const int limit = 100_000;
        var registry = DocumentReaderRegistry.CreateDefault(new ReaderOptions { MaxTextCharacters = limit });
        var line = (name == "utf-16.txt" ? Encoding.Unicode : Encoding.UTF8).GetBytes("a line of a long log file\n");
        var bytes = Enumerable.Repeat(line, 4 * 1024 * 1024 / line.Length).SelectMany(b => b).ToArray();
        using var stream = new CountingStream(bytes);

        var error = await Assert.ThrowsAsync<DocumentReadException>(
            () => registry.ReadAsync(stream, name, name, name, TestContext.Current.CancellationToken));

        Assert.Contains("MaxTextCharacters", error.Reason);
        Assert.InRange(stream.BytesRead, limit, 4 * limit);
        Assert.InRange(stream.LargestRead, 1, 128 * 1024);
    }

    [Fact]
    public async Task A_file_that_cannot_be_read_is_refused_with_the_read_error()
    {
        var path = _folder.Write("locked.txt", "secret");
        if (OperatingSystem.IsWindows())
            Assert.Skip("needs Unix permissions");
        else
            File.SetUnixFileMode(path, UnixFileMode.None);
        bool privileged;
        try
        {
            File.ReadAllBytes(path);
            privileged = true; // root reads through chmod 000 (as in CI)
        }
        catch (UnauthorizedAccessException)
        {
            privileged = false;
        }

        if (!privileged)
        {
            await DocumentAssert.Refused(_registry, path, "permission denied");
            return;
        }
        // For root, a file whose read really fails: the process's own memory at address 0.
        Assert.SkipUnless(File.Exists("/proc/self/mem"), "running as root and no /proc/self/mem to provoke a failing read");
        var failing = Path.Combine(_folder.Path, "unreadable.txt");
        File.CreateSymbolicLink(failing, "/proc/self/mem");
        await DocumentAssert.Refused(_registry, failing, "read failed");
    }

    [Fact]
    public async Task Directories_missing_files_and_fifos_are_refused_without_blocking()
    {
        Directory.CreateDirectory(Path.Combine(_folder.Path, "folder.txt"));
        await DocumentAssert.Refused(_registry, Path.Combine(_folder.Path, "folder.txt"), "is a directory");
        await DocumentAssert.Refused(_registry, Path.Combine(_folder.Path, "missing.txt"), "not found");

        Assert.SkipWhen(OperatingSystem.IsWindows(), "FIFOs are a Unix thing");
        var fifo = Path.Combine(_folder.Path, "pipe.txt");
        Assert.SkipUnless(MakeFifo(fifo), "the mkfifo command is not available");
        // Opening a FIFO for reading would wait for a writer forever.
        await DocumentAssert.Refused(_registry, fifo, "not a regular file", "FIFO");
    }

    private static bool MakeFifo(string path)
    {
        try
        {
            using var process = System.Diagnostics.Process.Start("mkfifo", [path]);
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no mkfifo command
        }
    }

    private sealed class CsvReader : IDocumentReader
    {
        public bool CanRead(string fileName, ReadOnlySpan<byte> head) => fileName.EndsWith(".csv", StringComparison.OrdinalIgnoreCase);

        public async Task<Document> ReadAsync(Stream content, DocumentReadContext context, CancellationToken cancellationToken = default)
        {
            using var reader = new StreamReader(content);
            var text = (await reader.ReadToEndAsync(cancellationToken)).Replace(',', '|');
            return new Document(context.DocumentId, context.Source, text) { MediaType = "text/csv" };
        }
    }

    /// <summary>A seekable stream (as an upload buffered on disk is) that counts what is read from it.</summary>
    private sealed class CountingStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public long BytesRead { get; private set; }
        public int LargestRead { get; private set; }

        // Every read goes through the array overload, so that nothing is counted twice (Stream's span
        // overloads call it too).
        public override int Read(byte[] buffer, int offset, int count) => Counted(base.Read(buffer, offset, count), count);

        public override int Read(Span<byte> buffer)
        {
            var array = new byte[buffer.Length];
            var read = Read(array, 0, array.Length);
            array.AsSpan(0, read).CopyTo(buffer);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer, offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        private int Counted(int read, int asked)
        {
            BytesRead += read;
            LargestRead = Math.Max(LargestRead, asked);
            return read;
        }
    }

    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
    }
}
