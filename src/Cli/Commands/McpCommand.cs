using System.CommandLine;
using KnowledgeQa.Cli.Infrastructure;
using KnowledgeQa.Plugins.Requests;
using KnowledgeQa.Server;
using KnowledgeQa.Server.Mcp;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Cli.Commands;

/// <summary>
/// kqa mcp: the knowledge base as an MCP server over stdio, for IDEs and desktop assistants.
/// Standard output carries protocol messages only: every log line goes to standard error.
/// </summary>
public static class McpCommand
{
    public static Command Create()
    {
        var command = new Command("mcp", "Serve the knowledge base as MCP tools over stdio (search, ask, list_documents)");
        command.SetCommandAction(async (parse, cancellationToken) =>
        {
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            CliServices.AddTo(builder.Services, parse);
            // Every line from the client is checked before the MCP library reads it: malformed
            // ones are answered with JSON-RPC errors, and the end of input stops work in flight.
            var stdio = new ScreenedStdio(Console.OpenStandardInput(), Console.OpenStandardOutput(), RequestLimits.MaxMessageBytes);
            builder.Services.AddSingleton(new McpClientConnection(stdio.ClientGone));
            builder.Services.AddMcpServer(mcp => mcp.ServerInfo = new() { Name = "kqa", Version = typeof(McpCommand).Assembly.GetName().Version?.ToString() ?? "1.0" })
                .WithStreamServerTransport(stdio.Input, stdio.Output)
                .WithKnowledgeQaPluginTools();

            using var host = builder.Build();
            var pump = stdio.PumpAsync(cancellationToken);
            await host.RunAsync(cancellationToken);
            await pump;
            return 0;
        });
        return command;
    }
}
