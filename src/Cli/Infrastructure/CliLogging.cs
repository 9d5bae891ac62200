using System.CommandLine;
using KnowledgeQa.Retrieval;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Cli.Infrastructure;

/// <summary>
/// What the library logs (ILogger through the container), shown on standard error so standard
/// output stays the command's own (answers, JSON, MCP protocol messages). `--log-level` picks the
/// level; `--verbose` means debug; without either only warnings and errors show.
/// </summary>
public static class CliLogging
{
    public const LogLevel DefaultLevel = LogLevel.Warning;

    /// <summary>The level asked for on the command line, or null when neither flag was given.</summary>
    /// <exception cref="InvalidOptionException">--log-level names no level.</exception>
    public static LogLevel? Requested(ParseResult parse)
    {
        if (parse.GetValue(GlobalOptions.LogLevel) is { } name)
            return Parse(name);
        return parse.GetValue(GlobalOptions.Verbose) ? LogLevel.Debug : null;
    }

    public static LogLevel Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "information" or "info" => LogLevel.Information,
        "warning" or "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "critical" => LogLevel.Critical,
        "none" => LogLevel.None,
        _ => throw new InvalidOptionException(
            $"--log-level '{name}' is not a level: use trace, debug, information, warning, error, critical or none."),
    };

    /// <summary>Console logging on stderr, one line per entry, for a command's own container.</summary>
    public static void AddTo(IServiceCollection services, ParseResult parse)
    {
        var level = Requested(parse) ?? DefaultLevel;
        services.AddLogging(logging => logging
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.IncludeScopes = false;
            })
            .AddFilter(null, level)
            .SetMinimumLevel(level));
        services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
    }

    /// <summary>For a host that sets up its own providers (kqa serve, kqa mcp): only the level, when one was asked for.</summary>
    public static void ApplyLevel(IServiceCollection services, ParseResult parse)
    {
        if (Requested(parse) is { } level)
            services.AddLogging(logging => logging.AddFilter(null, level).SetMinimumLevel(level));
    }
}
