using System.CommandLine;
using System.Globalization;
using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Cli.Infrastructure;
using KnowledgeQa.Plugins.Results;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace KnowledgeQa.Cli.Commands;

/// <summary>The answer flags ask and chat share.</summary>
public sealed class AnswerFlags
{
    public Option<bool> Explain { get; } = new("--explain")
    {
        Description = "Show how the answer came about: each retrieved passage with its dense and lexical rank and score, " +
                      "the relevance decision and why, and the chosen sentences (in --json: an \"explanation\" field)",
    };

    public Option<bool> ShowUncited { get; } = new("--show-uncited")
    {
        Description = "When the chat model's answer cites no passage it is refused; also show what the model said (field \"uncitedText\")",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Explain);
        command.Options.Add(ShowUncited);
    }

    public AskOptions Apply(AskOptions options, ParseResult parse) =>
        options with { Explain = parse.GetValue(Explain), KeepUncitedText = parse.GetValue(ShowUncited) };
}

/// <summary>kqa ask "QUESTION": an answer from the knowledge base, streamed, then its sources.</summary>
public static class AskCommand
{
    public static Command Create()
    {
        var question = new Argument<string>("question") { Description = "The question" };
        var search = new SearchOptions(defaultTop: 5);
        var chat = new ChatModelFlags();
        var answerFlags = new AnswerFlags();
        var command = new Command("ask", "Answer a question from the knowledge base, with citations") { question };
        search.AddTo(command);
        chat.AddTo(command);
        answerFlags.AddTo(command);
        command.SetCommandAction(async (parse, cancellationToken) =>
        {
            var retrieval = search.Read(parse);
            await using var services = CliServices.Build(parse, chat.Apply);
            var answerer = services.GetRequiredService<GroundedAnswerer>();
            var options = answerFlags.Apply(new AskOptions
            {
                Top = retrieval.Top,
                Mode = retrieval.Mode,
                Filter = retrieval.Filter,
                Extractive = parse.GetValue(chat.Extractive),
            }, parse);

            if (parse.GetValue(GlobalOptions.Json))
            {
                var answer = await answerer.AskAsync(parse.GetValue(question)!, options, cancellationToken);
                CliJson.Write(AnswerResult.From(answer));
                return 0;
            }

            await AnswerPrinter.StreamAsync(answerer.AskStreamingAsync(parse.GetValue(question)!, options, cancellationToken));
            return 0;
        });
        return command;
    }
}

/// <summary>Prints a streamed answer as it arrives, then the label, the cited sources and, when asked, the explanation.</summary>
public static class AnswerPrinter
{
    public static async Task<KnowledgeAnswer> StreamAsync(IAsyncEnumerable<AnswerUpdate> updates)
    {
        KnowledgeAnswer? answer = null;
        var started = false;
        // The label ("Extractive answer ...") comes with the final answer; printing it after the text
        // keeps the text streaming as it arrives.
        await foreach (var update in updates)
        {
            if (update.Answer is { } final)
            {
                answer = final;
                break;
            }
            if (!started && update.Text.Length > 0)
                started = true;
            Console.Write(TerminalText.Text(update.Text));
            Console.Out.Flush();
        }
        if (started)
            Console.WriteLine();
        if (answer is null)
            throw new InvalidOperationException("the answer stream ended without a final answer");

        if (answer.Label is { } label && !answer.Refused)
            AnsiConsole.MarkupLine($"[grey]({Markup.Escape(label.TrimEnd(':', '：'))})[/]");
        if (answer.RefusalReason == RefusalReason.UncitedModelAnswer)
        {
            AnsiConsole.MarkupLine(answer.UncitedText is { } said
                ? $"[grey](The chat model's answer cited no passage, so it is not the knowledge base's answer. It said:)[/]\n{Markup.Escape(said)}"
                : "[grey](The chat model's answer cited no passage, so it is not the knowledge base's answer; --show-uncited shows it.)[/]");
        }
        PrintSources(answer);
        if (answer.Explanation is { } explanation)
            ExplanationPrinter.Print(explanation);
        return answer;
    }

    private static void PrintSources(KnowledgeAnswer answer)
    {
        if (answer.Citations.Count == 0)
            return;
        Console.WriteLine();
        Console.WriteLine("Sources:");
        foreach (var citation in answer.Citations)
        {
            var where = Location.Describe(citation.Source, citation.Page, citation.Headings);
            Console.WriteLine($"  [{citation.Number}] {TerminalText.Line(citation.DocumentId)} ({TerminalText.Line(where)})");
            Console.WriteLine($"      {SearchCommand.Snippet(citation.Text, 160)}");
        }
    }
}

/// <summary>An <see cref="AnswerExplanation"/> as text: one block per retrieved passage, then the chosen sentences.</summary>
public static class ExplanationPrinter
{
    public static void Print(AnswerExplanation explanation)
    {
        var culture = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine("Explanation:");
        Console.WriteLine($"  question: {explanation.Question}");
        Console.WriteLine($"  search: {explanation.Mode.ToString().ToLowerInvariant()}; asks for: {explanation.AnswerKind}; " +
                          $"terms: {string.Join(", ", explanation.Terms)}" +
                          (explanation.NamedTerms.Count > 0 ? $"; names: {string.Join(", ", explanation.NamedTerms)}" : "") +
                          $"; sentence embeddings: {(explanation.SentenceEmbeddings ? "yes" : "no (the embedding model cannot read the question)")}");
        Console.WriteLine($"  {explanation.Decision}");
        foreach (var p in explanation.Passages)
        {
            var number = p.Number is int n ? $"[{n}]" : "   ";
            Console.WriteLine(string.Create(culture,
                $"  #{p.Rank} {number} {p.DocumentId}  score {p.Score:0.0000}; dense rank {Rank(p.DenseRank)} score {Score(p.DenseScore)}; " +
                $"lexical rank {Rank(p.LexicalRank)} score {Score(p.LexicalScore)}"));
            Console.WriteLine($"      {p.Reason}");
        }
        if (explanation.Sentences.Count > 0)
        {
            Console.WriteLine("  chosen sentences:");
            foreach (var s in explanation.Sentences)
                Console.WriteLine(string.Create(culture, $"    [{s.Number}] {s.Score:0.000} ({s.Why}): {SearchCommand.Snippet(s.Text, 120)}"));
        }
        if (explanation.RunnersUp.Count > 0)
        {
            Console.WriteLine("  next best, not chosen:");
            foreach (var s in explanation.RunnersUp)
                Console.WriteLine(string.Create(culture, $"    [{s.Number}] {s.Score:0.000} ({s.Why}): {SearchCommand.Snippet(s.Text, 120)}"));
        }
    }

    private static string Rank(int? rank) => rank is int r ? r.ToString(CultureInfo.InvariantCulture) : $">{AnswerExplainer.SideDepth}";

    private static string Score(double? score) => score is double s ? s.ToString("0.0000", CultureInfo.InvariantCulture) : "-";
}
