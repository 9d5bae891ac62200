// A host app that embeds KnowledgeQa: DI registration, the plugins on a kernel, direct function
// calls and the knowledge agent. Usage:
//   dotnet run --project samples/HostApp -- FOLDER "QUESTION" [--KnowledgeQa:Chat:ModelPath=DIR]
// Without a chat model the answers are extractive, so it runs on a fresh machine.
using KnowledgeQa.Plugins.Agent;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Plugins.KnowledgeBase;
using KnowledgeQa.Plugins.Results;
using KnowledgeQa.Retrieval;
using KnowledgeQa.Retrieval.Ingestion;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;

if (args.Length < 2 || !Directory.Exists(args[0]))
{
    Console.Error.WriteLine("usage: dotnet run --project samples/HostApp -- FOLDER \"QUESTION\" [--KnowledgeQa:Chat:ModelPath=DIR]");
    Console.Error.WriteLine(args.Length < 2 ? "Give a folder of documents and a question." : $"'{args[0]}' is not a folder.");
    return 2;
}

var (folder, question) = (args[0], args[1]);
var dataDirectory = Path.Combine(Path.GetTempPath(), "kqa-hostapp-" + Guid.NewGuid().ToString("N"));

// Options come from appsettings.json / environment (KnowledgeQa__...) / --KnowledgeQa:... flags;
// the sample only points the embedded store at a temporary folder.
var builder = Host.CreateApplicationBuilder(args[2..]);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddKnowledgeQa(builder.Configuration.GetSection(KnowledgeQaOptions.SectionName), o => o.DataDirectory = dataDirectory);
builder.Services.AddKernel().Plugins.AddKnowledgeQa();

try
{
    using (var host = builder.Build())
    {
        var ingested = await host.Services.GetRequiredService<IngestionPipeline>().IngestAsync([folder]);
        Console.WriteLine($"Ingested {ingested.Added} documents ({ingested.Chunks} chunks) from {folder}; {ingested.Failed} failed.");

        var kernel = host.Services.GetRequiredService<Kernel>();

        Console.WriteLine($"\n== knowledge_base.search(\"{question}\")");
        var search = await kernel.InvokeAsync(KnowledgeBasePlugin.PluginName, "search", new KernelArguments { ["query"] = question, ["top"] = 3 });
        foreach (var (hit, rank) in search.GetValue<IReadOnlyList<SearchResult>>()!.Select((h, i) => (h, i + 1)))
        {
            Console.WriteLine($"{rank}. [{hit.Source}{(hit.Page is { } page ? $", page {page}" : "")}] score {hit.Score:0.0000}");
            Console.WriteLine($"   {Shorten(hit.Text)}");
        }

        Console.WriteLine($"\n== knowledge_base.ask(\"{question}\")");
        var ask = (await kernel.InvokeAsync(KnowledgeBasePlugin.PluginName, "ask", new KernelArguments { ["question"] = question })).GetValue<AnswerResult>()!;
        Console.WriteLine($"({ask.Mode}{(ask.Grounded ? ", grounded" : "")}) {ask.Answer}");
        foreach (var citation in ask.Citations)
            Console.WriteLine($"   [{citation.Number}] {citation.Source}");

        var agent = host.Services.GetRequiredService<KnowledgeAgent>();
        Console.WriteLine($"\n== agent ({(agent.UsesChatModel ? "chat model calling the plugins" : "no chat model configured: extractive fallback")})");
        try
        {
            var reply = await agent.AskAsync(question);
            Console.WriteLine($"({reply.Mode}) {reply.Answer}");
            Console.WriteLine($"   functions called: {string.Join(", ", reply.Calls.Select(c => $"{c.Plugin}.{c.Function}"))}");
            Console.WriteLine($"   sources: {string.Join(", ", reply.Sources)}");
        }
        catch (KnowledgeQaException e)
        {
            // A broken or overrun chat model is the user's to fix; say what happened without a stack trace.
            Console.Error.WriteLine($"The agent failed: {e.Message}");
            return 1;
        }
    }

    return 0;
}
finally
{
    try
    {
        Directory.Delete(dataDirectory, recursive: true);
    }
    catch (DirectoryNotFoundException)
    {
    }
}

static string Shorten(string text)
{
    var line = string.Join(' ', text.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
    return line.Length <= 160 ? line : line[..157] + "...";
}
