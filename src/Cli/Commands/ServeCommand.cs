using System.CommandLine;
using KnowledgeQa.Agents.Chat;
using KnowledgeQa.Cli.Infrastructure;
using KnowledgeQa.Server;
using KnowledgeQa.Plugins.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KnowledgeQa.Cli.Commands;

/// <summary>kqa serve: the HTTP API, MCP over HTTP and an OpenAPI document, on Kestrel.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string[]>("--urls") { Description = "Addresses to listen on (default http://127.0.0.1:5080)", AllowMultipleArgumentsPerToken = true };
        var apiKey = new Option<string?>("--api-key") { Description = "Require 'Authorization: Bearer KEY' (or KQA__Server__ApiKey)" };
        var watch = new Option<string[]>("--watch") { Description = "Keep this folder in step with the store while serving (repeatable), as kqa ingest DIR --watch does" };
        var command = new Command("serve", "Serve the knowledge base over HTTP (web app at /, REST API under /v1, MCP at /mcp)") { urls, apiKey, watch };
        var chat = ChatModelFlags.ForServe();
        chat.AddTo(command);
        command.SetCommandAction(async (parse, cancellationToken) =>
        {
            var settings = ReadSettings();
            if (parse.GetValue(urls) is { Length: > 0 } given)
                settings.Urls = given.SelectMany(u => u.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            if (parse.GetValue(apiKey) is { Length: > 0 } key)
                settings.ApiKey = key;

            var watched = parse.GetValue(watch) ?? [];
            if (watched.FirstOrDefault(f => !Directory.Exists(f)) is { } missing)
                return CommandRunner.Fail($"--watch '{missing}' is not a folder (looked for '{Path.GetFullPath(missing)}').");

            await using var app = KqaServer.Build(settings, services =>
            {
                CliServices.AddTo(services, parse, chat.Apply);
                if (watched.Length > 0)
                    services.AddKnowledgeQaFolderWatch(watched);
            }, logging => logging.AddFilter(HostCategory, LogLevel.Critical));
            // A chat model that cannot load is a mistake to fix now, not a server that never gets ready.
            ChatClientFactory.Check(app.Services.GetRequiredService<IOptions<KnowledgeQaOptions>>().Value.Chat);
            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (IOException e) when (!cancellationToken.IsCancellationRequested)
            {
                // Kestrel could not bind: the port is taken or the address is not this machine's.
                return CommandRunner.Fail($"{e.Message.TrimEnd('.')}: stop what listens there or choose another address with --urls.");
            }
            catch (InvalidOperationException e) when (!cancellationToken.IsCancellationRequested)
            {
                // Kestrel refused its configuration, e.g. an https address without a certificate.
                return CommandRunner.Fail($"the server could not start: {e.Message}");
            }
            // Ctrl+C / SIGTERM: stop taking requests and let those in flight finish (ShutdownTimeout).
            await app.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The host's own log category. It logs a failed start with a stack trace, which the command
    /// reports itself as one line; a background service that fails is still logged (Critical).
    /// </summary>
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    /// <summary>KnowledgeQa:Server of appsettings.json, then KQA__Server__... environment variables.</summary>
    public static ServerSettings ReadSettings()
    {
        var settings = new ServerSettings();
        new ConfigurationBuilder()
            .SetBasePath(Directory.GetCurrentDirectory())
            .AddJsonFile("appsettings.json", optional: true)
            .Build()
            .GetSection($"{KnowledgeQaOptions.SectionName}:{ServerSettings.SectionName}")
            .Bind(settings);
        new ConfigurationBuilder().AddEnvironmentVariables("KQA__").Build().GetSection(ServerSettings.SectionName).Bind(settings);
        return settings;
    }
}
