using System.CommandLine;
using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Cli.Infrastructure;
using KnowledgeQa.Plugins.Results;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace KnowledgeQa.Cli.Commands;

/// <summary>kqa ask "QUESTION": an answer from the knowledge base, streamed, then its sources.</summary>
public static class AskCommand
{
    public static Command Create()
    {
        var question = new Argument<string>("question") { Description = "The question" };
        var search = new SearchOptions(defaultTop: 5);
        var chat = new ChatModelFlags();
        var command = new Command("ask", "Answer a question from the knowledge base, with citations") { question };
        search.AddTo(command);
        chat.AddTo(command);
        command.SetCommandAction(async (parse, cancellationToken) =>
        {
            var retrieval = search.Read(parse);
            await using var services = CliServices.Build(parse, chat.Apply);
            var answerer = services.GetRequiredService<GroundedAnswerer>();
            var options = new AskOptions
            {
                Top = retrieval.Top,
                Mode = retrieval.Mode,
                Filter = retrieval.Filter,
                Extractive = parse.GetValue(chat.Extractive),
            };

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

/// <summary>Prints a streamed answer as it arrives, then the label and the cited sources.</summary>
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
        }
        if (started)
            Console.WriteLine();
        if (answer is null)
            throw new InvalidOperationException("the answer stream ended without a final answer");

        if (answer.Label is { } label && !answer.Refused)
            AnsiConsole.MarkupLine($"[grey]({Markup.Escape(label.TrimEnd(':', '：'))})[/]");
        PrintSources(answer);
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
