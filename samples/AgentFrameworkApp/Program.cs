// A host app that gives KnowledgeQa's functions to a Microsoft Agent Framework agent. Usage:
//   dotnet run --project samples/AgentFrameworkApp -- FOLDER "QUESTION" [--KnowledgeQa:Chat:ModelPath=DIR]
// Without a chat model there is no agent to run, so the sample calls the functions itself and says
// how to configure one. With OTEL_EXPORTER_OTLP_ENDPOINT set, traces and metrics go to that collector.
using KnowledgeQa.Plugins.AgentFramework;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Retrieval;
using KnowledgeQa.Retrieval.Ingestion;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;

if (args.Length < 2 || !Directory.Exists(args[0]))
{
    Console.Error.WriteLine("usage: dotnet run --project samples/AgentFrameworkApp -- FOLDER \"QUESTION\" [--KnowledgeQa:Chat:ModelPath=DIR]");
    Console.Error.WriteLine(args.Length < 2 ? "Give a folder of documents and a question." : $"'{args[0]}' is not a folder.");
    return 2;
}

var (folder, question) = (args[0], args[1]);
var dataDirectory = Path.Combine(Path.GetTempPath(), "kqa-agentframework-" + Guid.NewGuid().ToString("N"));

var builder = Host.CreateApplicationBuilder(args[2..]);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddKnowledgeQa(builder.Configuration.GetSection(KnowledgeQaOptions.SectionName), o => o.DataDirectory = dataDirectory);
if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
    builder.Services.AddOpenTelemetry().AddKnowledgeQaInstrumentation().UseOtlpExporter();

try
{
    using (var host = builder.Build())
    {
        await host.StartAsync();
        var ingested = await host.Services.GetRequiredService<IngestionPipeline>().IngestAsync([folder]);
        Console.WriteLine($"Ingested {ingested.Added} documents ({ingested.Chunks} chunks) from {folder}; {ingested.Failed} failed.");

        // The same functions as the Semantic Kernel plugins and the MCP tools, as AIFunctions.
        var functions = KnowledgeQaAIFunctions.Create(host.Services);
        Console.WriteLine($"\nFunctions: {string.Join(", ", functions.Select(f => f.Name))}");

        Console.WriteLine($"\n== knowledge_base_ask(\"{question}\"), called directly");
        var ask = functions.Single(f => f.Name == "knowledge_base_ask");
        Console.WriteLine(await ask.InvokeAsync(new AIFunctionArguments { ["question"] = question }));

        if (!host.Services.GetRequiredService<ChatModel>().IsConfigured)
        {
            Console.WriteLine("\n== agent: no chat model configured. Add --KnowledgeQa:Chat:ModelPath=DIR (an ONNX Runtime GenAI model folder),");
            Console.WriteLine("   or --KnowledgeQa:Chat:Endpoint=URL --KnowledgeQa:Chat:ModelName=NAME (an OpenAI-compatible server), to run it.");
            return 0;
        }

        // A ChatClientAgent with the functions as tools; its spans sit beside KnowledgeQa's.
        var agent = host.Services.CreateKnowledgeQaAgent()
            .AsBuilder()
            .UseOpenTelemetry(KnowledgeQaTelemetry.AgentSourceName)
            .Build();
        Console.WriteLine("\n== agent (the chat model calls the functions)");
        try
        {
            var response = await agent.RunAsync(question);
            Console.WriteLine(response.Text);
            var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Select(c => c.Name).ToList();
            Console.WriteLine($"   functions called: {(calls.Count > 0 ? string.Join(", ", calls) : "none")}");
        }
        catch (KnowledgeQaException e)
        {
            // A broken or overrun chat model is the user's to fix; say what happened without a stack trace.
            Console.Error.WriteLine($"The agent failed: {e.Message}");
            return 1;
        }
        await host.StopAsync();
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
