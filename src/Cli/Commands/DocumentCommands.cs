using System.CommandLine;
using KnowledgeQa.Cli.Infrastructure;
using KnowledgeQa.Plugins.Results;
using KnowledgeQa.Retrieval.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace KnowledgeQa.Cli.Commands;

/// <summary>kqa docs and kqa delete: what the knowledge base holds, and removing from it.</summary>
public static class DocumentCommands
{
    public static Command CreateList()
    {
        var command = new Command("docs", "List the documents in the knowledge base");
        command.SetCommandAction(async (parse, cancellationToken) =>
        {
            await using var services = CliServices.Build(parse);
            var store = services.GetRequiredService<IKnowledgeStore>();
            var documents = new List<StoredDocument>();
            await foreach (var document in store.ListDocumentsAsync(cancellationToken))
                documents.Add(document);

            if (parse.GetValue(GlobalOptions.Json))
            {
                CliJson.Write(documents.Select(DocumentInfo.From));
                return 0;
            }
            if (documents.Count == 0)
                Console.WriteLine("The knowledge base is empty. Add documents with: kqa ingest PATH");
            foreach (var d in documents)
            {
                var tags = d.Tags.Count > 0 ? $"  [{TerminalText.Line(string.Join(", ", d.Tags))}]" : "";
                Console.WriteLine($"{TerminalText.Line(d.Id)}  ({d.ChunkCount} chunks){tags}  {TerminalText.Line(d.Source)}");
            }
            return 0;
        });
        return command;
    }

    public static Command CreateDelete()
    {
        var id = new Argument<string>("document-id") { Description = "The document id shown by kqa docs" };
        var command = new Command("delete", "Remove a document and all its chunks") { id };
        command.SetCommandAction(async (parse, cancellationToken) =>
        {
            await using var services = CliServices.Build(parse);
            var store = services.GetRequiredService<IKnowledgeStore>();
            var documentId = parse.GetValue(id)!;
            if (!await store.DeleteDocumentAsync(documentId, cancellationToken))
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
