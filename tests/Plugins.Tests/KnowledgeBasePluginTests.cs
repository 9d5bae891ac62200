using KnowledgeQa.Plugins.Classification;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Plugins.KnowledgeBase;
using KnowledgeQa.Plugins.Results;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;

namespace KnowledgeQa.Plugins.Tests;

/// <summary>The plugin functions called through a real kernel over the real store and embedding model.</summary>
public class KnowledgeBasePluginTests(KnowledgeBaseFixture kb)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Search_returns_the_relevant_passage_with_its_source()
    {
        var result = await kb.Kernel.InvokeAsync(KnowledgeBasePlugin.PluginName, "search",
            new KernelArguments { ["query"] = "How long does it take to charge the battery?", ["top"] = 2 }, Ct);

        var hits = result.GetValue<IReadOnlyList<SearchResult>>()!;
        Assert.InRange(hits.Count, 1, 2);
        Assert.Equal("manual/charging", hits[0].DocumentId);
        Assert.Equal("manual/charging.txt", hits[0].Source);
        Assert.Contains("four hours", hits[0].Text);
    }

    [Fact]
    public async Task Search_with_a_tag_only_returns_documents_with_that_tag()
    {
        var result = await kb.Kernel.InvokeAsync(KnowledgeBasePlugin.PluginName, "search",
            new KernelArguments { ["query"] = "battery charge", ["tag"] = "policy" }, Ct);

        var hits = result.GetValue<IReadOnlyList<SearchResult>>()!;
        Assert.NotEmpty(hits);
        Assert.All(hits, h => Assert.Equal("policy/warranty", h.DocumentId));
    }

    [Fact]
    public async Task Ask_returns_a_grounded_extractive_answer_with_citations()
    {
        var result = await kb.Kernel.InvokeAsync(KnowledgeBasePlugin.PluginName, "ask",
            new KernelArguments { ["question"] = "How long does a full charge take?" }, Ct);

        var answer = result.GetValue<AnswerResult>()!;
        Assert.Equal("extractive", answer.Mode);
        Assert.True(answer.Grounded);
        Assert.False(answer.Refused);
        Assert.Contains("four hours", answer.Answer);
        Assert.Contains(answer.Citations, c => c.DocumentId == "manual/charging" && c.Source == "manual/charging.txt");
    }

    [Fact]
    public async Task List_documents_shows_each_document_with_chunks_and_tags()
    {
        var result = await kb.Kernel.InvokeAsync(KnowledgeBasePlugin.PluginName, "list_documents", cancellationToken: Ct);

        var documents = result.GetValue<IReadOnlyList<DocumentSummary>>()!;
        foreach (var (id, tag, _) in KnowledgeBaseFixture.Documents)
        {
            var document = Assert.Single(documents, d => d.Id == id);
            Assert.Equal(id + ".txt", document.Source);
            Assert.True(document.Chunks >= 1);
            Assert.Equal([tag], document.Tags);
        }
    }

    [Fact]
    public void The_admin_plugin_is_not_registered_unless_asked_for()
    {
        Assert.Equal(
            [ClassificationPlugin.PluginName, KnowledgeBasePlugin.PluginName],
            kb.Kernel.Plugins.Select(p => p.Name).Order());

        var services = new ServiceCollection();
        services.AddKernel().Plugins.AddKnowledgeQa(includeAdmin: true);
        Assert.Equal(3, services.Count(s => s.ServiceType == typeof(KernelPlugin)));
    }

    [Fact]
    public async Task The_admin_plugin_adds_a_document_that_search_then_finds_and_deletes_it()
    {
        var kernel = kb.CreateAdminKernel();
        const string Id = "notes/opening-hours";

        var added = await kernel.InvokeAsync(KnowledgeBaseAdminPlugin.PluginName, "add_document",
            new KernelArguments { ["id"] = Id, ["text"] = "The service centre opens at eight in the morning on weekdays.", ["tags"] = "notes, service" }, Ct);
        Assert.Equal(new DocumentChange(Id, "added", 1), added.GetValue<DocumentChange>());

        var found = await Search(kernel, "When does the service centre open?");
        Assert.Equal(Id, found[0].DocumentId);
        var listed = (await kernel.InvokeAsync(KnowledgeBasePlugin.PluginName, "list_documents", cancellationToken: Ct)).GetValue<IReadOnlyList<DocumentSummary>>()!;
        Assert.Equal(["notes", "service"], Assert.Single(listed, d => d.Id == Id).Tags.Order());

        var deleted = await kernel.InvokeAsync(KnowledgeBaseAdminPlugin.PluginName, "delete_document", new KernelArguments { ["id"] = Id }, Ct);
        Assert.Equal("deleted", deleted.GetValue<DocumentChange>()!.Outcome);
        Assert.DoesNotContain(await Search(kernel, "When does the service centre open?"), h => h.DocumentId == Id);

        var again = await kernel.InvokeAsync(KnowledgeBaseAdminPlugin.PluginName, "delete_document", new KernelArguments { ["id"] = Id }, Ct);
        Assert.Equal("not_found", again.GetValue<DocumentChange>()!.Outcome);
    }

    private static async Task<IReadOnlyList<SearchResult>> Search(Kernel kernel, string query) =>
        (await kernel.InvokeAsync(KnowledgeBasePlugin.PluginName, "search", new KernelArguments { ["query"] = query }, Ct))
            .GetValue<IReadOnlyList<SearchResult>>()!;
}
