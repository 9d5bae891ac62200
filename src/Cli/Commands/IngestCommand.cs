using System.CommandLine;
using KnowledgeQa.Cli.Infrastructure;
using KnowledgeQa.Plugins.Results;
using KnowledgeQa.Retrieval.Ingestion;
using Microsoft.Extensions.DependencyInjection;

namespace KnowledgeQa.Cli.Commands;

/// <summary>kqa ingest PATH... : reads files and folders into the knowledge base and keeps folders in step.</summary>
public static class IngestCommand
{
    /// <summary>Exit status: everything went in (skipped files do not count as problems).</summary>
    public const int EverythingIn = 0;

    /// <summary>Exit status: a file that is new or changed since it last failed could not be ingested.</summary>
    public const int NewFailures = 2;

    /// <summary>Exit status: the only failures are files that failed before and have not changed since.</summary>
    public const int OnlyOldFailures = 3;

    public const string ExitCodesHelp =
        "Exit status: 0 everything went in (skipped files are not problems); 1 an error stopped the run (a path that does not exist, " +
        "a source name bound to another folder, a full disk or a store locked by another process: what went in is reported, nothing is removed); " +
        "2 a new or changed file failed; 3 only files that failed before, unchanged since, still fail.";

    public static Command Create()
    {
        var paths = new Argument<string[]>("path") { Description = "Files or folders to ingest", Arity = ArgumentArity.OneOrMore };
        var tags = new Option<string[]>("--tag") { Description = "Tag added to every document (repeatable); documents keep the tags they have", AllowMultipleArgumentsPerToken = false };
        var replaceTags = new Option<bool>("--replace-tags") { Description = "Set each document's tags to exactly the --tag values (plus its own front-matter tags)" };
        var tenant = new Option<string?>("--tenant") { Description = "Tenant stored with every document" };
        var source = new Option<string?>("--source") { Description = "Name of the ingested root in the store (default: the folder's own name); document ids are NAME/relative/path" };
        var rebind = new Option<bool>("--rebind") { Description = "Bind the source name to this folder even if it is bound to another one (the sync then mirrors this folder)" };
        var noPrune = new Option<bool>("--no-prune") { Description = "Keep documents whose files are gone from the folder (by default a folder ingest removes them)" };
        var watch = new Option<bool>("--watch") { Description = "After ingesting, keep the store in step with the folders as files change, until Ctrl-C" };
        var include = new Option<string[]>("--include") { Description = "Glob of files to take inside folders (repeatable), e.g. **/*.md" };
        var exclude = new Option<string[]>("--exclude") { Description = "Glob of files to leave out (repeatable)" };
        var hidden = new Option<bool>("--hidden") { Description = "Also ingest hidden files and folders" };

        var command = new Command("ingest",
            "Read files and folders (txt, md, html, pdf, docx) into the knowledge base. A folder is synced: its documents mirror it " +
            "(files gone from it are removed; --no-prune keeps them). Document ids are SOURCE/relative/path, SOURCE being the folder's name " +
            "(or --source); a file joins the source of the folder that holds it. " + ExitCodesHelp)
        {
            paths, tags, replaceTags, tenant, source, rebind, noPrune, watch, include, exclude, hidden,
        };
        command.SetCommandAction(async (parse, cancellationToken) =>
        {
            await using var services = CliServices.Build(parse);
            var pipeline = services.GetRequiredService<IngestionPipeline>();
            var options = new IngestionOptions
            {
                Tags = parse.GetValue(tags) ?? [],
                ReplaceTags = parse.GetValue(replaceTags),
                Tenant = parse.GetValue(tenant),
                SourceName = parse.GetValue(source),
                Rebind = parse.GetValue(rebind),
                Prune = !parse.GetValue(noPrune),
                Discovery = new DiscoveryOptions
                {
                    Include = parse.GetValue(include) ?? [],
                    Exclude = parse.GetValue(exclude) ?? [],
                    IncludeHidden = parse.GetValue(hidden),
                },
            };
            var output = new IngestOutput(parse.GetValue(GlobalOptions.Json), parse.GetValue(GlobalOptions.Verbose));
            var given = parse.GetValue(paths)!;
            if (parse.GetValue(watch))
                return await WatchAsync(pipeline, given, options, output, cancellationToken);

            IngestionSummary summary;
            try
            {
                summary = await IngestProgressDisplay.RunAsync(output.Json, progress => pipeline.IngestAsync(given, options, progress, cancellationToken));
            }
            catch (IngestionStoppedException stopped)
            {
                output.Write(stopped.Summary, stopped.Message);
                return CommandRunner.Fail(stopped.Message);
            }
            output.Write(summary);
            return ExitCode(summary);
        });
        return command;
    }

    /// <summary>0 everything in, 2 a new or changed file failed, 3 only known, unchanged failures.</summary>
    public static int ExitCode(IngestionSummary summary) =>
        summary.Failed == 0 ? EverythingIn : summary.NewFailures > 0 ? NewFailures : OnlyOldFailures;

    private static async Task<int> WatchAsync(IngestionPipeline pipeline, string[] paths, IngestionOptions options, IngestOutput output, CancellationToken cancellationToken)
    {
        if (paths.FirstOrDefault(p => !Directory.Exists(p)) is { } notFolder)
            return CommandRunner.Fail(File.Exists(notFolder)
                ? $"--watch keeps folders in step; '{notFolder}' is a file: watch the folder that holds it."
                : $"'{notFolder}' does not exist (looked for '{Path.GetFullPath(notFolder)}'): check the path; nothing was ingested.");

        var watcher = new FolderWatcher(pipeline);
        Console.Error.WriteLine($"kqa: watching {string.Join(", ", paths.Select(Path.GetFullPath))} (Ctrl-C to stop)");
        try
        {
            await foreach (var sync in watcher.WatchAsync(paths, options, cancellationToken))
            {
                // A folder that cannot be synced at the start (a source conflict, say) is a mistake to fix, not to watch.
                if (sync.Trigger == WatchTrigger.Start && sync.Error is not null && sync.Summary is null)
                    return CommandRunner.Fail(sync.Error.Message);
                output.WriteSync(sync);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl-C is how a watch ends.
        }
        return EverythingIn;
    }
}
