using KnowledgeQa.Plugins.Requests;

namespace KnowledgeQa.Plugins.Tests;

/// <summary>What callers of a server see as a document's source: never the server's absolute path unless configured.</summary>
public class SourceDisplayTests
{
    [Theory]
    [InlineData("/srv/kb/docs/en/guide.md", "en/guide.md", "en/guide.md")]
    [InlineData("/home/alice/private/report.pdf", "report.pdf", "report.pdf")]
    [InlineData("/home/alice/private/report.pdf", "renamed-id", "report.pdf")]
    [InlineData(@"C:\Users\alice\kb\en\guide.md", "en/guide.md", "en/guide.md")]
    [InlineData(@"\\fileserver\share\kb\faq.md", "faq.md", "faq.md")]
    [InlineData("upload.md", "upload.md", "upload.md")]
    [InlineData("notes/opening-hours", "notes/opening-hours", "notes/opening-hours")]
    public void Relative_shows_the_path_inside_the_ingested_folder_or_the_file_name(string source, string documentId, string expected) =>
        Assert.Equal(expected, new SourceDisplay(SourcePathDisplay.Relative).Show(source, documentId));

    [Fact]
    public void Full_shows_the_stored_source() =>
        Assert.Equal("/srv/kb/docs/en/guide.md", SourceDisplay.Full.Show("/srv/kb/docs/en/guide.md", "en/guide.md"));
}
