using System.CommandLine;
using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Evaluation;
using KnowledgeQa.Cli.Infrastructure;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Retrieval.Evaluation;
using KnowledgeQa.Retrieval.Ingestion;
using KnowledgeQa.Retrieval.Search;
using KnowledgeQa.Retrieval.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace KnowledgeQa.Cli.Commands;

/// <summary>kqa eval ...: measures quality on public data sets.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var command = new Command("eval", "Measure retrieval and answer quality on a data set");
        command.Subcommands.Add(CreateRetrieval());
        command.Subcommands.Add(CreateQa());
        return command;
    }

    private static Command CreateQa()
    {
        var dataset = new Option<string>("--dataset") { Description = "Folder with contexts.jsonl + questions.jsonl", Required = true };
        var limit = new Option<int?>("--limit") { Description = "Evaluate only the first N questions" };
        var top = new Option<int>("--top") { Description = "Passages per question (k)", DefaultValueFactory = _ => 5 };
        var heldOut = new Option<int>("--hold-out-every")
        {
            Description = "Leave every Nth context out of the knowledge base so its questions become unanswerable (measures refusals); 0 = none",
            DefaultValueFactory = _ => 10,
        };
        var chat = new ChatModelFlags();
        var command = new Command("qa", "Share of questions whose gold answer is in the answer and in the top-k passages, and of unanswerable ones refused")
        {
            dataset, limit, top, heldOut,
        };
        chat.AddTo(command);
        command.SetCommandAction(async (parse, cancellationToken) =>
        {
            var data = QaDataset.Load(parse.GetValue(dataset)!);
            var every = parse.GetValue(heldOut);
            var heldOutContexts = every >= 2 ? data.SelectHeldOutContexts(every) : new HashSet<string>();
            var json = parse.GetValue(GlobalOptions.Json);

            await using var services = CliServices.Build(parse, (options, p) =>
            {
                chat.Apply(options, p);
                if (p.GetValue(GlobalOptions.Data) is null)
                    options.DataDirectory = Path.Combine(".kqa-eval", $"{data.Name}-qa-holdout{every}");
            });
            var log = json ? Console.Error : Console.Out;
            var documents = data.ToDocuments(heldOutContexts).ToList();
            log.WriteLine($"{data.Name}: ingesting {documents.Count} contexts ({heldOutContexts.Count} held out)...");
            await services.GetRequiredService<IngestionPipeline>().IngestDocumentsAsync(documents, cancellationToken: cancellationToken);

            var evaluator = new QaEvaluator(services.GetRequiredService<IKnowledgeRetriever>(), services.GetRequiredService<GroundedAnswerer>());
            var report = await evaluator.EvaluateAsync(data, new QaEvaluationOptions
            {
                Limit = parse.GetValue(limit),
                Top = parse.GetValue(top),
                Extractive = parse.GetValue(chat.Extractive) || !services.GetRequiredService<ChatModel>().IsConfigured,
                HeldOutContexts = heldOutContexts,
            }, cancellationToken: cancellationToken);

            if (json)
                CliJson.Write(report with { Results = [] });
            else
                Console.WriteLine(report);
            return 0;
        });
        return command;
    }

    private static Command CreateRetrieval()
    {
        var dataset = new Option<string>("--dataset") { Description = "Folder of a data set (BEIR layout or contexts.jsonl + questions.jsonl)", Required = true };
        var limit = new Option<int?>("--limit") { Description = "Evaluate only the first N queries" };
        var modes = new Option<string[]>("--mode") { Description = "Modes to evaluate (repeatable; default: dense, lexical, hybrid)" };
        var command = new Command("retrieval", "recall@5, recall@10, MRR@10 and nDCG@10 of each search mode. " +
                                               "Ingests the set into --data (default .kqa-eval/<set>), reused by later runs")
        {
            dataset, limit, modes,
        };
        command.SetCommandAction(async (parse, cancellationToken) =>
        {
            var data = RetrievalDataset.Load(parse.GetValue(dataset)!, parse.GetValue(limit));
            var selectedModes = (parse.GetValue(modes) is { Length: > 0 } m ? m : ["dense", "lexical", "hybrid"])
                .Select(SearchOptions.ParseMode).ToList();
            var json = parse.GetValue(GlobalOptions.Json);

            await using var services = CliServices.Build(parse, (options, p) =>
            {
                if (p.GetValue(GlobalOptions.Data) is null)
                    options.DataDirectory = Path.Combine(".kqa-eval", data.Name);
            });
            var pipeline = services.GetRequiredService<IngestionPipeline>();
            var log = json ? Console.Error : Console.Out;
            log.WriteLine($"{data.Name}: ingesting {data.Documents.Count} documents (unchanged ones are skipped)...");
            var summary = await pipeline.IngestDocumentsAsync(data.Documents, cancellationToken: cancellationToken);
            log.WriteLine($"{data.Name}: {summary.Added + summary.Replaced} written, {summary.Unchanged} unchanged, {summary.Failed} failed; " +
                          $"{data.Queries.Count} queries");

            var evaluator = new RetrievalEvaluator(services.GetRequiredService<IKnowledgeRetriever>());
            var rows = new List<RetrievalEvaluationRow>();
            foreach (var mode in selectedModes)
            {
                var metrics = await evaluator.EvaluateAsync(data.Queries, mode, cancellationToken: cancellationToken);
                rows.Add(new RetrievalEvaluationRow(data.Name, mode, metrics));
                if (!json)
                    Console.WriteLine($"{data.Name,-12} {mode,-8} recall@5 {metrics.RecallAt5:0.000}  recall@10 {metrics.RecallAt10:0.000}  " +
                                      $"MRR@10 {metrics.MrrAt10:0.000}  nDCG@10 {metrics.NdcgAt10:0.000}  ({metrics.Queries} queries)");
            }
            if (json)
                CliJson.Write(rows);
            return 0;
        });
        return command;
    }
}

public sealed record RetrievalEvaluationRow(string Dataset, SearchMode Mode, RetrievalMetrics Metrics);
