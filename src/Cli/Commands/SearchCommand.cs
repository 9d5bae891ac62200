using System.CommandLine;
using KnowledgeQa.Cli.Infrastructure;
using KnowledgeQa.Plugins.Results;
using KnowledgeQa.Retrieval.Search;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace KnowledgeQa.Cli.Commands;

/// <summary>kqa search "QUERY": the best passages, hybrid by default.</summary>
public static class SearchCommand
{
    public static Command Create()
    {
        var query = new Argument<string>("query") { Description = "What to look for" };
        var search = new SearchOptions(defaultTop: 5);
        var command = new Command("search", "Search the knowledge base") { query };
        search.AddTo(command);
        command.SetCommandAction(async (parse, cancellationToken) =>
        {
            var options = search.Read(parse);
            await using var services = CliServices.Build(parse);
            var retriever = services.GetRequiredService<IKnowledgeRetriever>();
            var hits = await retriever.SearchAsync(parse.GetValue(query)!, options, cancellationToken);
            var results = hits.Select(SearchResult.From).ToList();

            if (parse.GetValue(GlobalOptions.Json))
                CliJson.Write(results);
            else
                Print(results);
            return 0;
        });
        return command;
    }

    private static void Print(IReadOnlyList<SearchResult> results)
    {
        if (results.Count == 0)
        {
            Console.WriteLine("No results. Is anything ingested? Try: kqa ingest samples/docs");
            return;
        }
        for (var i = 0; i < results.Count; i++)
        {
            var r = results[i];
            var where = Location.Describe(r.Source, r.Page, r.Headings);
            AnsiConsole.MarkupLine($"[bold][[{i + 1}]][/] [blue]{Markup.Escape(TerminalText.Line(r.DocumentId))}[/] {Markup.Escape(TerminalText.Line(where))} [grey](score {r.Score:0.0000})[/]");
            Console.WriteLine("    " + Snippet(r.Text, 300));
        }
    }

    /// <summary>The text on one line, at most <paramref name="max"/> characters, safe for a terminal.</summary>
    public static string Snippet(string text, int max)
    {
        var flat = TerminalText.Line(string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)));
        return flat.Length <= max ? flat : flat[..max] + "…";
    }
}

/// <summary>Where a passage sits in its source, as people read it: "guide.pdf, p. 3 › Install".</summary>
public static class Location
{
    public static string Describe(string source, int? page, IReadOnlyList<string>? headings)
    {
        var parts = new List<string> { source };
        if (page is { } p)
            parts.Add($"p. {p}");
        if (headings is { Count: > 0 })
            parts.Add(string.Join(" › ", headings));
        return string.Join(", ", parts);
    }
}
