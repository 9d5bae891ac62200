using System.CommandLine;
using KnowledgeQa.Cli.Infrastructure;
using KnowledgeQa.Plugins.Results;
using KnowledgeQa.Retrieval.Ingestion;
using KnowledgeQa.Retrieval.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace KnowledgeQa.Cli.Commands;

/// <summary>kqa docs and kqa delete: what the knowledge base holds, by source, and removing from it.</summary>
public static class DocumentCommands
{
    public static Command CreateList()
    {
        var source = new Option<string?>("--source") { Description = "Only the documents of this source" };
        var command = new Command("docs", "List the documents in the knowledge base, grouped by source (the ingested folder or upload source they belong to)") { source };
        command.SetCommandAction(async (parse, cancellationToken) =>
        {
            await using var services = CliServices.Build(parse);
            var store = services.GetRequiredService<IKnowledgeStore>();
            var only = parse.GetValue(source);
            var documents = new List<StoredDocument>();
            await foreach (var document in store.ListDocumentsAsync(cancellationToken))
            {
                if (only is null || document.SourceName == only)
                    documents.Add(document);
            }
            documents.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));

            if (parse.GetValue(GlobalOptions.Json))
            {
                CliJson.Write(documents.Select(DocumentInfo.From));
                return 0;
            }
            if (documents.Count == 0)
            {
                Console.WriteLine(only is null
                    ? "The knowledge base is empty. Add documents with: kqa ingest PATH"
                    : $"No documents of the source '{only}'. `kqa docs` lists all documents.");
                return 0;
            }
            var sources = new Dictionary<string, SourceBinding>(StringComparer.Ordinal);
            await foreach (var binding in store.ListSourcesAsync(cancellationToken))
                sources[binding.Name] = binding;
            foreach (var group in documents.GroupBy(d => d.SourceName).OrderBy(g => g.Key ?? "\uffff", StringComparer.Ordinal))
            {
                Console.WriteLine(TerminalText.Line(Heading(group.Key, group.Count(), group.Key is null ? null : sources.GetValueOrDefault(group.Key))));
                foreach (var d in group)
                {
                    var tags = d.Tags.Count > 0 ? $"  [{TerminalText.Line(string.Join(", ", d.Tags))}]" : "";
                    Console.WriteLine($"  {TerminalText.Line(d.Id)}  ({d.ChunkCount} chunks){tags}  {TerminalText.Line(d.Source)}");
                }
            }
            return 0;
        });
        return command;
    }

    private static string Heading(string? name, int count, SourceBinding? binding) => (name, binding) switch
    {
        (null, _) => $"(no source)  {count} documents added one by one",
        (_, { Kind: SourceKind.Folder }) => $"{name}  folder {binding.Root}, {count} documents",
        (_, { Kind: SourceKind.Upload }) => $"{name}  uploads, {count} documents",
        _ => $"{name}  {count} documents",
    };

    public static Command CreateDelete()
    {
        var id = new Argument<string?>("document-id") { Description = "The document id shown by kqa docs", Arity = ArgumentArity.ZeroOrOne };
        var source = new Option<string?>("--source") { Description = "Delete every document of this source and forget the source (its name can then be bound again)" };
        var command = new Command("delete", "Remove a document and all its chunks, or with --source NAME all documents of a source") { id, source };
        command.SetCommandAction(async (parse, cancellationToken) =>
        {
            await using var services = CliServices.Build(parse);
            var documentId = parse.GetValue(id);
            var sourceName = parse.GetValue(source);
            if ((documentId is null) == (sourceName is null))
                return CommandRunner.Fail("give a document id (kqa delete ID) or a source (kqa delete --source NAME), not both or neither.");

            if (sourceName is not null)
            {
                var removed = await services.GetRequiredService<IngestionPipeline>().RemoveSourceAsync(sourceName, cancellationToken);
                if (removed is null)
                    return CommandRunner.Fail($"no source '{sourceName}' in the knowledge base; `kqa docs` shows the sources.");
                if (parse.GetValue(GlobalOptions.Json))
                    CliJson.Write(new { deletedSource = sourceName, documents = removed });
                else
                    Console.WriteLine($"deleted the source {TerminalText.Line(sourceName)} and its {removed} documents");
                return 0;
            }

            var store = services.GetRequiredService<IKnowledgeStore>();
            if (!await store.DeleteDocumentAsync(documentId!, cancellationToken))
                return CommandRunner.Fail($"no document '{documentId}' in the knowledge base; `kqa docs` lists the ids.");
            if (parse.GetValue(GlobalOptions.Json))
                CliJson.Write(new { deleted = documentId });
            else
                Console.WriteLine($"deleted {TerminalText.Line(documentId)}");
            return 0;
        });
        return command;
    }
}
