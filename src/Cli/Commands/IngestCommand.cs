using System.CommandLine;
using KnowledgeQa.Cli.Infrastructure;
using KnowledgeQa.Plugins.Results;
using KnowledgeQa.Retrieval.Ingestion;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace KnowledgeQa.Cli.Commands;

/// <summary>kqa ingest PATH... : reads files and folders into the knowledge base.</summary>
public static class IngestCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("path") { Description = "Files or folders to ingest", Arity = ArgumentArity.OneOrMore };
        var tags = new Option<string[]>("--tag") { Description = "Tag stored with every document (repeatable)", AllowMultipleArgumentsPerToken = false };
        var tenant = new Option<string?>("--tenant") { Description = "Tenant stored with every document" };
        var include = new Option<string[]>("--include") { Description = "Glob of files to take inside folders (repeatable), e.g. **/*.md" };
        var exclude = new Option<string[]>("--exclude") { Description = "Glob of files to leave out (repeatable)" };
        var hidden = new Option<bool>("--hidden") { Description = "Also ingest hidden files and folders" };

        var command = new Command("ingest", "Read files and folders (txt, md, html, pdf, docx) into the knowledge base")
        {
            paths, tags, tenant, include, exclude, hidden,
        };
        command.SetCommandAction(async (parse, cancellationToken) =>
        {
            await using var services = CliServices.Build(parse);
            var pipeline = services.GetRequiredService<IngestionPipeline>();
            var options = new IngestionOptions
            {
                Tags = parse.GetValue(tags) ?? [],
                Tenant = parse.GetValue(tenant),
                Discovery = new DiscoveryOptions
                {
                    Include = parse.GetValue(include) ?? [],
                    Exclude = parse.GetValue(exclude) ?? [],
                    IncludeHidden = parse.GetValue(hidden),
                },
            };
            var json = parse.GetValue(GlobalOptions.Json);
            var summary = json || Console.IsOutputRedirected
                ? await pipeline.IngestAsync(parse.GetValue(paths)!, options, null, cancellationToken)
                : await IngestWithProgressBarAsync(pipeline, parse.GetValue(paths)!, options, cancellationToken);

            if (json)
                CliJson.Write(IngestReport.From(summary));
            else
                PrintSummary(summary);
            return summary.Failed > 0 ? CommandRunner.UserError : 0;
        });
        return command;
    }

    private static async Task<IngestionSummary> IngestWithProgressBarAsync(
        IngestionPipeline pipeline, string[] paths, IngestionOptions options, CancellationToken cancellationToken)
    {
        IngestionSummary? summary = null;
        await AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("Ingesting", maxValue: 1);
                var progress = new Progress<IngestionProgress>(p =>
                {
                    task.MaxValue = Math.Max(1, p.FilesTotal);
                    task.Value = p.FilesDone;
                    task.Description = $"Ingesting ({p.ChunksEmbedded} chunks)";
                });
                summary = await pipeline.IngestAsync(paths, options, progress, cancellationToken);
            });
        return summary!;
    }

    private static void PrintSummary(IngestionSummary summary)
    {
        Console.WriteLine($"{summary.Added} added, {summary.Replaced} replaced, {summary.Unchanged} unchanged, " +
                          $"{summary.Failed} failed, {summary.Skipped} skipped ({summary.Chunks} chunks written)");
        foreach (var file in summary.Files.Where(f => f.Outcome == IngestionOutcome.Failed))
            Console.WriteLine($"  failed: {TerminalText.Line(file.Path)}: {TerminalText.Line(file.Reason)}");
        foreach (var file in summary.Files.Where(f => f.Outcome == IngestionOutcome.Skipped))
            Console.WriteLine($"  skipped: {TerminalText.Line(file.Path)}: {TerminalText.Line(file.Reason)}");
    }
}
