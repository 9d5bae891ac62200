using System.CommandLine;
using KnowledgeQa.Retrieval;
using KnowledgeQa.Retrieval.Search;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Cli.Commands;

/// <summary>The retrieval flags shared by search, ask and chat: --top, --mode, --tag, --document, --tenant.</summary>
public sealed class SearchOptions
{
    public Option<int> Top { get; }
    public Option<string> Mode { get; } = new("--mode") { Description = "hybrid (default), dense or lexical", DefaultValueFactory = _ => "hybrid" };
    public Option<string[]> Tags { get; } = new("--tag") { Description = "Only documents with this tag (repeatable: any of them)" };
    public Option<string[]> Documents { get; } = new("--document") { Description = "Only this document id (repeatable)" };
    public Option<string?> Tenant { get; } = new("--tenant") { Description = "Only documents of this tenant" };

    public SearchOptions(int defaultTop)
    {
        Top = new Option<int>("--top", "-k") { Description = "How many passages", DefaultValueFactory = _ => defaultTop };
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Top);
        command.Options.Add(Mode);
        command.Options.Add(Tags);
        command.Options.Add(Documents);
        command.Options.Add(Tenant);
    }

    public RetrievalOptions Read(ParseResult parse) => new()
    {
        Top = parse.GetValue(Top),
        Mode = ParseMode(parse.GetValue(Mode)),
        Filter = new SearchFilter
        {
            Tags = parse.GetValue(Tags) ?? [],
            DocumentIds = parse.GetValue(Documents) ?? [],
            Tenant = parse.GetValue(Tenant),
        },
    };

    public static SearchMode ParseMode(string? value) =>
        SearchModes.TryParse(value, out var mode)
            ? mode
            : throw new InvalidOptionException($"--mode '{value}' is not a search mode: use hybrid, dense or lexical.");
}
