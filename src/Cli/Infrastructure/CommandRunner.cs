using System.CommandLine;
using KnowledgeQa.Retrieval;

namespace KnowledgeQa.Cli.Infrastructure;

/// <summary>
/// Runs a command body and turns the errors a user can cause into one clear line on stderr and a
/// non-zero exit code, instead of a stack trace.
/// </summary>
public static class CommandRunner
{
    public const int UserError = 1;
    public const int Cancelled = 130;

    public static void SetCommandAction(this Command command, Func<ParseResult, CancellationToken, Task<int>> body) =>
        command.SetAction(async (parse, cancellationToken) => await RunAsync(parse, cancellationToken, body));

    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken, Func<ParseResult, CancellationToken, Task<int>> body)
    {
        try
        {
            return await body(parse, cancellationToken);
        }
        catch (KnowledgeQaException ex)
        {
            return Fail(ex.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine("kqa: cancelled");
            return Cancelled;
        }
        catch (Exception ex) when (ex.InnerException is KnowledgeQaException inner)
        {
            return Fail(inner.Message);
        }
    }

    public static int Fail(string message)
    {
        // Messages quote file names and ids, which may hold control characters.
        Console.Error.WriteLine($"kqa: error: {TerminalText.Line(message)}");
        return UserError;
    }
}
