using System.CommandLine;
using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Cli.Infrastructure;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Retrieval.Lexical;
using Microsoft.Extensions.DependencyInjection;

namespace KnowledgeQa.Cli.Commands;

/// <summary>
/// kqa chat: a multi-turn session. Follow-up questions ("and how long does that take?") are
/// rewritten with the conversation so far before retrieving.
/// </summary>
public static class ChatCommand
{
    public static Command Create()
    {
        var search = new SearchOptions(defaultTop: 5);
        var chat = new ChatModelFlags();
        var command = new Command("chat", "Ask several questions in a row; follow-ups use the conversation so far. Empty line or /exit ends it");
        search.AddTo(command);
        chat.AddTo(command);
        command.SetCommandAction(async (parse, cancellationToken) =>
        {
            var retrieval = search.Read(parse);
            await using var services = CliServices.Build(parse, chat.Apply);
            var session = new ConversationSession(
                services.GetRequiredService<GroundedAnswerer>(),
                services.GetRequiredService<ChatModel>().Client,
                services.GetRequiredService<ILexicalEncoder>());
            var options = new AskOptions { Top = retrieval.Top, Mode = retrieval.Mode, Filter = retrieval.Filter, Extractive = parse.GetValue(chat.Extractive) };

            while (!cancellationToken.IsCancellationRequested)
            {
                Console.Write("> ");
                var line = Console.ReadLine();
                if (string.IsNullOrWhiteSpace(line) || line.Trim() is "/exit" or "/quit")
                    break;
                if (line.Trim() == "/clear")
                {
                    session.Clear();
                    continue;
                }
                await AnswerPrinter.StreamAsync(session.AskStreamingAsync(line, options, cancellationToken));
                Console.WriteLine();
            }
            return 0;
        });
        return command;
    }
}
