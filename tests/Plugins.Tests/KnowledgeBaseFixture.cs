using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Ingestion;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;

[assembly: AssemblyFixture(typeof(KnowledgeQa.Plugins.Tests.KnowledgeBaseFixture))]

namespace KnowledgeQa.Plugins.Tests;

/// <summary>
/// One real knowledge base for the whole test assembly: services from AddKnowledgeQa over an
/// embedded SQLite store in a temp folder, the real embedding model, three small documents.
/// No chat model is configured, so answers are extractive.
/// </summary>
public sealed class KnowledgeBaseFixture : IAsyncLifetime
{
    public static readonly (string Id, string Tag, string Text)[] Documents =
    [
        ("manual/charging", "manual",
            "Charging the scooter. A full charge of the battery takes four hours with the supplied charger. " +
            "A full charge gives a range of about forty kilometres."),
        ("policy/warranty", "policy",
            "Warranty. The warranty lasts two years from the date of purchase. " +
            "It covers defects in materials and workmanship, but not damage from accidents."),
        ("manual/cleaning", "manual",
            "Cleaning. Wipe the scooter with a damp cloth. Never use a pressure washer on the motor or the battery."),
    ];

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kqa-plugins-tests-" + Guid.NewGuid().ToString("N"));

    public ServiceProvider Services { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var services = new ServiceCollection();
        // As a host app does it: KnowledgeQa's services, then a kernel with its plugins.
        services.AddKnowledgeQa(o => o.DataDirectory = _directory);
        services.AddKernel().Plugins.AddKnowledgeQa();
        Services = services.BuildServiceProvider();
        var pipeline = Services.GetRequiredService<IngestionPipeline>();
        foreach (var (id, tag, text) in Documents)
        {
            var summary = await pipeline.IngestDocumentsAsync([new Document(id, id + ".txt", text)], new IngestionOptions { Tags = [tag] });
            Assert.Equal(1, summary.Added);
        }
    }

    /// <summary>The host's kernel: the default plugins, from the container.</summary>
    public Kernel Kernel => Services.GetRequiredService<Kernel>();

    /// <summary>A kernel that also has the opt-in admin plugin.</summary>
    public Kernel CreateAdminKernel() => new(Services, new KernelPluginCollection().AddKnowledgeQa(Services, includeAdmin: true));

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite's pooled connection may still hold the file; the OS temp cleaner gets it.
        }
    }
}
