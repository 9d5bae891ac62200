using System.CommandLine;
using KnowledgeQa.Agents.Classification;
using KnowledgeQa.Agents.Clustering;
using KnowledgeQa.Cli.Infrastructure;
using KnowledgeQa.Retrieval.Lexical;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace KnowledgeQa.Cli.Commands;

/// <summary>kqa cluster --input FILE.jsonl [--k K]: groups texts by meaning and describes each group.</summary>
public static class ClusterCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--input") { Description = "JSONL file with a \"text\" field per line", Required = true };
        var k = new Option<int?>("--k") { Description = "Number of clusters (default: chosen by silhouette score, 2 to 10)" };
        var command = new Command("cluster", "Group texts by meaning (k-means over embeddings) with each group's terms and central texts")
        {
            input, k,
        };
        command.SetCommandAction(async (parse, cancellationToken) =>
        {
            var texts = await LabelledDataReader.ReadTextsAsync(parse.GetValue(input)!, cancellationToken);
            await using var services = CliServices.Build(parse);
            var clusterer = new TextClusterer(
                services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>(),
                new ClusterTermExtractor(services.GetRequiredService<ILexicalEncoder>()));
            var result = await clusterer.ClusterAsync(texts, new ClusteringOptions { Clusters = parse.GetValue(k) }, cancellationToken);

            if (parse.GetValue(GlobalOptions.Json))
            {
                CliJson.Write(result);
                return 0;
            }
            Console.WriteLine($"{result.K} clusters" + (result.Silhouette is { } s ? $" (silhouette {s:0.000})" : ""));
            foreach (var cluster in result.Clusters)
            {
                Console.WriteLine($"[{cluster.Id}] {cluster.Size} texts: {TerminalText.Line(string.Join(", ", cluster.Terms.Select(t => t.Term)))}");
                foreach (var central in cluster.CentralTexts)
                    Console.WriteLine($"    - {SearchCommand.Snippet(central.Text, 120)}");
            }
            return 0;
        });
        return command;
    }
}
