using KnowledgeQa.Plugins.KnowledgeBase;
using KnowledgeQa.Plugins.Requests;
using KnowledgeQa.Plugins.Results;
using Microsoft.SemanticKernel;

namespace KnowledgeQa.Plugins.Tests;

/// <summary>
/// A caller confined to a tenant (what a server sets from a tenant-bound API key) reads and writes
/// only its tenant's documents through every plugin function.
/// </summary>
public class CallerTenantTests(KnowledgeBaseFixture kb)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string AcmeDoc = "tenant-tests/acme-harbour";
    private const string GlobexDoc = "tenant-tests/globex-harbour";

    [Fact]
    public async Task Search_ask_list_add_and_delete_stay_within_the_callers_tenant()
    {
        var kernel = kb.CreateAdminKernel();
        try
        {
            using (CallerTenant.Enter("acme"))
                Assert.Equal("added", (await AddAsync(kernel, AcmeDoc, "The harbour ferry of Acme leaves at 23:40 from the north quay.")).Outcome);
            using (CallerTenant.Enter("globex"))
                Assert.Equal("added", (await AddAsync(kernel, GlobexDoc, "The harbour ferry of Globex leaves at 06:15 from the south quay.")).Outcome);

            using (CallerTenant.Enter("acme"))
            {
                var hits = (await kernel.InvokeAsync(KnowledgeBasePlugin.PluginName, "search", new KernelArguments { ["query"] = "harbour ferry quay", ["top"] = 10 }, Ct))
                    .GetValue<IReadOnlyList<SearchResult>>()!;
                Assert.Equal([AcmeDoc], hits.Select(h => h.DocumentId).Distinct());

                var answer = (await kernel.InvokeAsync(KnowledgeBasePlugin.PluginName, "ask", new KernelArguments { ["question"] = "When does the harbour ferry leave?" }, Ct))
                    .GetValue<AnswerResult>()!;
                Assert.All(answer.Citations, c => Assert.Equal(AcmeDoc, c.DocumentId));
                Assert.DoesNotContain("06:15", answer.Answer);

                var listed = (await kernel.InvokeAsync(KnowledgeBasePlugin.PluginName, "list_documents", cancellationToken: Ct)).GetValue<IReadOnlyList<DocumentSummary>>()!;
                Assert.Equal([AcmeDoc], listed.Select(d => d.Id));
            }

            using (CallerTenant.Enter("globex"))
            {
                Assert.Equal("failed", (await AddAsync(kernel, AcmeDoc, "Globex takes over the Acme ferry.")).Outcome);
                var delete = await kernel.InvokeAsync(KnowledgeBaseAdminPlugin.PluginName, "delete_document", new KernelArguments { ["id"] = AcmeDoc }, Ct);
                Assert.Equal("not_found", delete.GetValue<DocumentChange>()!.Outcome);
                Assert.Throws<TenantAccessException>(() => CallerTenant.Restrict(new() { Tenant = "acme" }));
            }

            // Unconfined (the host itself): both documents, Acme's unchanged.
            var all = (await kernel.InvokeAsync(KnowledgeBasePlugin.PluginName, "search", new KernelArguments { ["query"] = "harbour ferry quay", ["top"] = 10 }, Ct))
                .GetValue<IReadOnlyList<SearchResult>>()!;
            Assert.Contains(all, h => h.DocumentId == GlobexDoc);
            Assert.Contains("23:40", all.Single(h => h.DocumentId == AcmeDoc).Text);
        }
        finally
        {
            foreach (var id in new[] { AcmeDoc, GlobexDoc })
                await kernel.InvokeAsync(KnowledgeBaseAdminPlugin.PluginName, "delete_document", new KernelArguments { ["id"] = id }, Ct);
        }
    }

    private static async Task<DocumentChange> AddAsync(Kernel kernel, string id, string text) =>
        (await kernel.InvokeAsync(KnowledgeBaseAdminPlugin.PluginName, "add_document", new KernelArguments { ["id"] = id, ["text"] = text }, Ct)).GetValue<DocumentChange>()!;
}
