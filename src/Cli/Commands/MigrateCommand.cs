using System.CommandLine;
using KnowledgeQa.Cli.Infrastructure;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Retrieval;
using KnowledgeQa.Retrieval.Storage.Embedded;
using KnowledgeQa.Retrieval.Storage.Migration;
using KnowledgeQa.Retrieval.Storage.Qdrant;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KnowledgeQa.Cli.Commands;

/// <summary>
/// kqa migrate --to qdrant: copies the embedded store under --data into Qdrant without
/// re-embedding. Resumable: run it again after an interruption.
/// </summary>
public static class MigrateCommand
{
    public static Command Create()
    {
        var to = new Option<string>("--to") { Description = "Target store: qdrant (configured by --qdrant-url, --qdrant-api-key, --collection)", Required = true };
        var command = new Command("migrate", "Copy the embedded knowledge base (under --data) into Qdrant, without re-embedding") { to };
        command.SetCommandAction(async (parse, cancellationToken) =>
        {
            if (!string.Equals(parse.GetValue(to), "qdrant", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOptionException($"--to '{parse.GetValue(to)}' is not a target: the embedded store migrates to qdrant.");

            await using var services = CliServices.Build(parse);
            var options = services.GetRequiredService<IOptions<KnowledgeQaOptions>>().Value;
            if (!File.Exists(options.EmbeddedStorePath))
                throw new InvalidOptionException($"no embedded store at '{options.EmbeddedStorePath}': point --data at the folder you ingested into.");

            await using var source = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = options.EmbeddedStorePath });
            await using var target = new QdrantKnowledgeStore(options.Store.Qdrant);
            var json = parse.GetValue(GlobalOptions.Json);
            var progress = json ? null : new Progress<MigrationProgress>(p =>
                Console.Error.Write($"\r{p.DocumentsDone}/{p.DocumentsTotal} documents ({p.ChunksCopied} chunks copied, {p.ChunksSkipped} skipped)"));
            var result = await new KnowledgeBaseMigrator(source, target).MigrateAsync(progress, cancellationToken);
            if (!json)
                Console.Error.WriteLine();

            if (json)
                CliJson.Write(new
                {
                    result.DocumentsCopied, result.DocumentsSkipped, result.ChunksCopied, result.ChunksSkipped,
                    source = result.Source, target = result.Target, result.CountsMatch,
                });
            else
                Console.WriteLine(result.Summary);
            return result.CountsMatch ? 0 : CommandRunner.UserError;
        });
        return command;
    }
}
