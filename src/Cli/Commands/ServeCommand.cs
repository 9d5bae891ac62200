using System.CommandLine;
using KnowledgeQa.Cli.Infrastructure;
using KnowledgeQa.Server;
using KnowledgeQa.Plugins.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace KnowledgeQa.Cli.Commands;

/// <summary>kqa serve: the HTTP API, MCP over HTTP and an OpenAPI document, on Kestrel.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string[]>("--urls") { Description = "Addresses to listen on (default http://127.0.0.1:5080)", AllowMultipleArgumentsPerToken = true };
        var apiKey = new Option<string?>("--api-key") { Description = "Require 'Authorization: Bearer KEY' (or KQA__Server__ApiKey)" };
        var watch = new Option<string[]>("--watch") { Description = "Keep this folder in step with the store while serving (repeatable), as kqa ingest DIR --watch does" };
        var command = new Command("serve", "Serve the knowledge base over HTTP (REST API under /v1, MCP at /mcp)") { urls, apiKey, watch };
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
                CliServices.AddTo(services, parse);
                if (watched.Length > 0)
                    services.AddKnowledgeQaFolderWatch(watched);
            });
            // Ctrl+C / SIGTERM: stop taking requests and let those in flight finish (ShutdownTimeout).
            await app.StartAsync(cancellationToken);
            await app.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return command;
    }

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
