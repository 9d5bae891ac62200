using System.CommandLine;
using System.Globalization;
using KnowledgeQa.Cli.Infrastructure;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Retrieval;
using KnowledgeQa.Retrieval.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KnowledgeQa.Cli.Commands;

/// <summary>
/// kqa repair: checks the knowledge base (the store --store selects) and removes what crashes,
/// interrupted writes or outside edits left behind. --dry-run only reports.
/// </summary>
public static class RepairCommand
{
    public static Command Create()
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Only report what a repair would remove or fix; change nothing" };
        var grace = new Option<int>("--grace")
        {
            Description = "Minutes an unfinished Qdrant write may still be running before its points count as left by a crash",
            DefaultValueFactory = _ => 60,
        };
        var command = new Command("repair", "Check the knowledge base and remove what crashes or interrupted writes left behind (orphan chunks, half-written documents, stale index files)")
        {
            dryRun, grace,
        };
        command.SetCommandAction(async (parse, cancellationToken) =>
        {
            var minutes = parse.GetValue(grace);
            if (minutes < 0)
                throw new InvalidOptionException($"--grace {minutes} is negative: give the minutes an unfinished write may still be running (default 60).");

            await using var services = CliServices.Build(parse);
            var settings = services.GetRequiredService<IOptions<KnowledgeQaOptions>>().Value;
            if (settings.Store.Kind == StoreKind.Embedded && !File.Exists(settings.EmbeddedStorePath))
                return CommandRunner.Fail($"no knowledge base at '{settings.EmbeddedStorePath}': nothing to repair (point --data at the folder you ingested into).");
            if (services.GetRequiredService<IKnowledgeStore>() is not IRepairableStore store)
                return CommandRunner.Fail($"the {settings.Store.Kind} store has no repair.");

            var report = await store.RepairAsync(
                new StoreRepairOptions { DryRun = parse.GetValue(dryRun), Grace = TimeSpan.FromMinutes(minutes) }, cancellationToken);
            if (parse.GetValue(GlobalOptions.Json))
                CliJson.Write(report);
            else
                Print(report);
            // What a repair cannot fix (a damaged file) is an error: scripts and CI must notice it.
            return report.Findings.FirstOrDefault(f => f.Found > 0 && !f.Repairable) is { } unfixable
                ? CommandRunner.Fail(unfixable.Advice ?? $"{unfixable.Description}: {unfixable.Found} found")
                : 0;
        });
        return command;
    }

    private static void Print(StoreRepairReport report)
    {
        Console.WriteLine(TerminalText.Line($"checked {report.Store}{(report.DryRun ? " (dry run: nothing changed)" : "")}"));
        var width = report.Findings.Max(f => f.Check.Length);
        foreach (var finding in report.Findings)
        {
            var outcome = finding.Found == 0
                ? "ok"
                : !finding.Repairable
                    ? string.Create(CultureInfo.InvariantCulture, $"{finding.Found} found, not repairable")
                    : report.DryRun
                        ? string.Create(CultureInfo.InvariantCulture, $"{finding.Found} found, would be repaired")
                        : string.Create(CultureInfo.InvariantCulture, $"{finding.Found} found, {finding.Repaired} repaired");
            Console.WriteLine(TerminalText.Line($"  {finding.Check.PadRight(width)}  {outcome}  ({finding.Description})"));
            if (finding.Found > 0 && finding.Advice is not null && finding.Repairable)
                Console.WriteLine(TerminalText.Line($"  {new string(' ', width)}  {finding.Advice}"));
        }
        foreach (var note in report.Notes)
            Console.WriteLine(TerminalText.Line($"  note: {note}"));
        Console.WriteLine(report switch
        {
            { Found: 0 } => "nothing to repair",
            { DryRun: true } => string.Create(CultureInfo.InvariantCulture, $"{report.Found} problems found; run `kqa repair` without --dry-run to repair them"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{report.Repaired} of {report.Found} problems repaired"),
        });
    }
}
