using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Server;

/// <summary>
/// The standalone kqa server (kqa serve): Kestrel with KnowledgeQa's HTTP surface and nothing else.
/// The <c>addKnowledgeQa</c> argument of <see cref="Build"/> registers KnowledgeQa's services (the CLI passes its own
/// configuration; tests their own).
/// </summary>
public static class KqaServer
{
    public static WebApplication Build(ServerSettings settings, Action<IServiceCollection> addKnowledgeQa, Action<ILoggingBuilder>? logging = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(settings.Urls.Count > 0 ? [.. settings.Urls] : [ServerSettings.DefaultUrl]);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = Math.Max(settings.MaxUploadBytes, settings.MaxJsonBytes);
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = settings.ShutdownTimeout);
        // Request-by-request framework logs drown the useful lines; warnings and errors still show.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging?.Invoke(builder.Logging);

        addKnowledgeQa(builder.Services);
        builder.Services.AddKnowledgeQaServer(settings);

        var app = builder.Build();
        app.MapKnowledgeQa();
        app.Lifetime.ApplicationStarted.Register(() => WarnWhenOpen(app, settings));
        return app;
    }

    /// <summary>The addresses Kestrel listens on (with the real port when 0 was asked for).</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    private static void WarnWhenOpen(WebApplication app, ServerSettings settings)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("KnowledgeQa.Server");
        var addresses = Addresses(app);
        logger.LogInformation("kqa serve listening on {Addresses}; web app at {WebApp}", string.Join(", ", addresses), string.Join(", ", addresses.Select(ListenAddresses.WebAppUrl)));
        if (!settings.RequiresKey && addresses.Any(a => !ListenAddresses.IsLoopback(a)))
            logger.LogWarning("Serving beyond loopback ({Addresses}) without an API key: anyone who can reach this port can read and change the knowledge base. Set --api-key or KQA__Server__ApiKey.",
                string.Join(", ", addresses));
    }
}
