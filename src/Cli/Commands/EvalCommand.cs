using System.CommandLine;
using System.Text.Json;
using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Evaluation;
using KnowledgeQa.Agents.Text;
using KnowledgeQa.Agents.Classification;
using KnowledgeQa.Cli.Infrastructure;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Retrieval.Evaluation;
using KnowledgeQa.Retrieval.Ingestion;
using KnowledgeQa.Retrieval.Search;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval;
using KnowledgeQa.Retrieval.Lexical;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KnowledgeQa.Cli.Commands;

/// <summary>kqa eval ...: measures quality on public data sets.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var command = new Command("eval", "Measure retrieval and answer quality on a data set");
        command.Subcommands.Add(CreateRetrieval());
        command.Subcommands.Add(CreateQa());
        command.Subcommands.Add(CreateFitRelevance());
        command.Subcommands.Add(CreateFitSentences());
        return command;
    }

    /// <summary>The store a reading-comprehension set is ingested into for eval qa and fit-relevance (under the current folder).</summary>
    private static string QaStore(string stores, string set, int every) => Path.Combine(stores, $"{set}-qa-holdout{every}");

    /// <summary>
    /// An extractive answerer over the command's services whose sentence embeddings are remembered for
    /// the run: questions of a set share their contexts, so most sentences come back many times.
    /// </summary>
    private static GroundedAnswerer CachedExtractiveAnswerer(IServiceProvider services, MemoryCachedEmbeddingGenerator embeddings) => new(
        services.GetRequiredService<IKnowledgeRetriever>(),
        chatClient: null,
        services.GetRequiredService<ILexicalEncoder>(),
        services.GetRequiredService<IOptions<KnowledgeQaOptions>>().Value.Answer,
        services.GetService<ILogger<GroundedAnswerer>>(),
        embeddings);

    /// <summary>
    /// The samples a fitter learns from, per data set: read from STORES/KIND/SET.jsonl when reusing and saved,
    /// else collected over the set's store (ingested as eval qa does: every Nth context left out) and saved there.
    /// </summary>
    private static async Task<List<T>> CollectSamplesAsync<T>(
        ParseResult parse, FitCommandOptions fit,
        Func<string, IReadOnlyList<T>> load, Action<string, IEnumerable<T>> save,
        Func<IKnowledgeRetriever, GroundedAnswerer, QaDataset, IReadOnlySet<string>, IProgress<int>, Task<IReadOnlyList<T>>> collect,
        CancellationToken cancellationToken)
    {
        var datasets = parse.GetValue(fit.Datasets)!;
        var every = parse.GetValue(fit.HeldOut);
        var folder = parse.GetValue(fit.Stores)!;
        var reuse = parse.GetValue(fit.Reuse);
        var kind = fit.SamplesFolder;
        var all = new List<T>();
        foreach (var path in datasets)
        {
            var data = QaDataset.Load(path);
            var samplesFile = Path.Combine(folder, kind, data.Name + ".jsonl");
            if (reuse && File.Exists(samplesFile))
            {
                var saved = load(samplesFile);
                all.AddRange(saved);
                Console.Error.WriteLine($"{data.Name}: {saved.Count} saved samples from {samplesFile}");
                continue;
            }

            var notInStore = every >= 2 ? data.SelectHeldOutContexts(every) : new HashSet<string>();
            await using var services = CliServices.Build(parse, (options, _) => options.DataDirectory = QaStore(folder, data.Name, every));
            var documents = data.ToDocuments(notInStore).ToList();
            Console.Error.WriteLine($"{data.Name}: ingesting {documents.Count} contexts ({notInStore.Count} held out)...");
            await services.GetRequiredService<IngestionPipeline>().IngestDocumentsAsync(documents, cancellationToken: cancellationToken);
            using var cache = new MemoryCachedEmbeddingGenerator(services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
            var progress = new Progress<int>(n =>
            {
                if (n % 200 == 0)
                    Console.Error.WriteLine($"{data.Name}: {n} questions");
            });
            var samples = await collect(services.GetRequiredService<IKnowledgeRetriever>(), CachedExtractiveAnswerer(services, cache), data, notInStore, progress);
            save(samplesFile, samples);
            all.AddRange(samples);
        }

        return all;
    }

    private static Command CreateFitRelevance()
    {
        var fit = new FitCommandOptions("relevance-samples", "src/Agents/Answering/RelevanceFilter.cs", "its questions give negatives only");
        var target = new Option<double>("--false-refusals")
        {
            Description = "Highest share of false refusals per set the threshold may give", DefaultValueFactory = _ => 0.025,
        };
        var command = new Command("fit-relevance",
            "Fit the answer relevance models (dense and lexical-only) on reading-comprehension sets and print their coefficients and refusal trade-off")
        {
            target,
        };
        fit.AddTo(command);
        command.SetCommandAction(async (parse, cancellationToken) =>
        {
            var all = await CollectSamplesAsync(parse, fit, RelevanceFitter.Load, RelevanceFitter.Save,
                (retriever, answerer, data, notInStore, progress) =>
                    new RelevanceFitter(retriever, answerer).CollectAsync(data, notInStore, parse.GetValue(fit.Top), parse.GetValue(fit.Limit), progress, cancellationToken),
                cancellationToken);

            var fitted = new List<FittedRelevance>();
            foreach (var (name, group) in new[] { ("WithDense", all.Where(s => s.Dense).ToList()), ("LexicalOnly", all.Where(s => !s.Dense).ToList()) })
            {
                if (group.Count == 0)
                {
                    Console.Error.WriteLine($"{name}: no questions of this kind; the model is not refitted");
                    continue;
                }

                var model = RelevanceFitter.Fit(name, group, parse.GetValue(target));
                fitted.Add(model);
                Console.WriteLine(RelevanceFitter.Describe(model));
            }

            var block = string.Join("\n", fitted.Select(f => f.Model.ToCSharp(f.Name)));
            Console.WriteLine(block);
            await CheckThenWriteAsync(parse, fit, answer =>
                fitted.Aggregate(answer, (a, model) => model.Name == "WithDense" ? a with { DenseRelevance = model.Model } : a with { LexicalRelevance = model.Model }),
                source => RelevanceFitter.WriteSource(source, fitted), cancellationToken);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// Asks the sample answer set with the refit in place, then writes the refit into --write-source (when
    /// given) only if every question went as expected: a refit that breaks a README example never ships.
    /// </summary>
    private static async Task CheckThenWriteAsync(
        ParseResult parse, FitCommandOptions fit, Func<AnswerOptions, AnswerOptions> refit, Action<string> writeSource, CancellationToken cancellationToken)
    {
        var source = parse.GetValue(fit.Write);
        var sampleDocs = parse.GetValue(fit.AnswerSet)!;
        if (!Directory.Exists(sampleDocs))
        {
            if (source is not null)
                throw new InvalidOptionException($"--answer-set '{sampleDocs}' is not a folder: a refit is written only once it passes the sample answer set.");
            Console.Error.WriteLine($"answer set: {sampleDocs} is not a folder; not checked");
            return;
        }

        var failures = await CheckAnswerSetAsync(parse, sampleDocs, Path.Combine(parse.GetValue(fit.Stores)!, "answer-set"), refit, cancellationToken);
        if (source is null)
            return;
        if (failures.Count > 0)
            throw new EvaluationDataException($"the refit fails {failures.Count} question(s) of the answer set over {sampleDocs}; {source} was not written.");
        writeSource(source);
        Console.Error.WriteLine($"wrote the fitted models into {source}");
    }

    /// <summary>
    /// Asks the sample answer set over <paramref name="samples"/> (ingested into <paramref name="store"/>) with the
    /// refitted models put in place by <paramref name="refit"/>, and prints how it went.
    /// </summary>
    private static async Task<IReadOnlyList<SampleAnswerFailure>> CheckAnswerSetAsync(
        ParseResult parse, string samples, string store, Func<AnswerOptions, AnswerOptions> refit, CancellationToken cancellationToken)
    {
        await using var services = CliServices.Build(parse, (options, _) =>
        {
            options.DataDirectory = store;
            options.Answer = refit(options.Answer);
        });
        await services.GetRequiredService<IngestionPipeline>().IngestAsync([samples], cancellationToken: cancellationToken);
        var failures = await SampleAnswerSet.CheckAsync(services.GetRequiredService<GroundedAnswerer>(), cancellationToken);
        var total = SampleAnswerSet.Answerable.Count + SampleAnswerSet.Unanswerable.Count;
        Console.WriteLine($"answer set over {samples}: {total - failures.Count} of {total} as expected");
        foreach (var failure in failures)
            Console.WriteLine($"  FAILED {failure.Question}: expected {failure.Expected}, got {failure.Got}");
        return failures;
    }

    private static Command CreateFitSentences()
    {
        var fit = new FitCommandOptions("sentence-samples", "src/Agents/Answering/ExtractiveAnswerer.cs", "its questions are skipped");
        var l2 = new Option<double>("--l2") { Description = "L2 penalty on the standardised weights", DefaultValueFactory = _ => SentenceFitter.DefaultL2 };
        var passages = new Option<int>("--passages")
        {
            Description = "Passages the answers are measured with (Answer:ExtractivePassages); collect with KQA__Answer__ExtractivePassages at least this high",
            DefaultValueFactory = _ => new AnswerOptions().ExtractivePassages,
        };
        var misses = new Option<int>("--misses") { Description = "List this many questions whose answer sentence the refit still misses although a candidate holds it" };
        var command = new Command("fit-sentences",
            "Fit the extractive answer's sentence models (dense and lexical-only) on reading-comprehension sets and print gold in the answer before and after")
        {
            l2, misses, passages,
        };
        fit.AddTo(command);
        command.SetCommandAction(async (parse, cancellationToken) =>
        {
            var all = await CollectSamplesAsync(parse, fit, SentenceFitter.Load, SentenceFitter.Save,
                (retriever, answerer, data, notInStore, progress) =>
                    new SentenceFitter(retriever, answerer).CollectAsync(data, notInStore, parse.GetValue(fit.Top), parse.GetValue(fit.Limit), progress, cancellationToken),
                cancellationToken);

            var shipped = new AnswerOptions { ExtractivePassages = parse.GetValue(passages) };
            all = [.. SentenceFitter.Within(all, shipped.ExtractivePassages)];
            Console.WriteLine(SentenceFitter.Describe("shipped models:", SentenceFitter.Measure(all, shipped)));
            var fitted = new List<FittedSentences>();
            foreach (var (name, group) in new[]
            {
                ("WithDense", all.Where(s => s.Dense).ToList()), ("LexicalOnly", all.Where(s => !s.Dense).ToList()),
                ("LexicalSimplified", all.Where(s => !s.Dense && LanguageDetector.DetectChineseScript(s.Question) == ChineseScript.Simplified).ToList()),
            })
            {
                if (group.Count == 0)
                {
                    Console.Error.WriteLine($"{name}: no questions of this kind; the model is not refitted");
                    continue;
                }

                fitted.Add(SentenceFitter.Fit(name, group, parse.GetValue(l2)));
            }

            AnswerOptions Refit(AnswerOptions answer) => fitted.Aggregate(answer, (a, model) => model.Name switch
            {
                "WithDense" => a with { DenseExtraction = model.Model },
                "LexicalSimplified" => a with { SimplifiedExtraction = model.Model },
                _ => a with { LexicalExtraction = model.Model },
            });
            Console.WriteLine(SentenceFitter.Describe("refitted models:", SentenceFitter.Measure(all, Refit(shipped))));
            foreach (var model in fitted)
                Console.WriteLine($"{model.Name}: {model.Positives} sentences with the answer, {model.Negatives} without\n{model.Model.ToCSharp(model.Name)}");
            foreach (var miss in SentenceFitter.Misses(all, Refit(shipped), parse.GetValue(misses)))
                Console.WriteLine(miss);

            await CheckThenWriteAsync(parse, fit, Refit, source => SentenceFitter.WriteSource(source, fitted), cancellationToken);
            return 0;
        });
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
        var results = new Option<string?>("--results") { Description = "Also write each question's result (question, gold, answer, refused) to this JSON Lines file" };
        var chat = new ChatModelFlags();
        var command = new Command("qa", "Share of questions whose gold answer is in the answer and in the top-k passages, and of unanswerable ones refused")
        {
            dataset, limit, top, heldOut, results,
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
                    options.DataDirectory = QaStore(".kqa-eval", data.Name, every);
            });
            var log = json ? Console.Error : Console.Out;
            var documents = data.ToDocuments(heldOutContexts).ToList();
            log.WriteLine($"{data.Name}: ingesting {documents.Count} contexts ({heldOutContexts.Count} held out)...");
            await services.GetRequiredService<IngestionPipeline>().IngestDocumentsAsync(documents, cancellationToken: cancellationToken);

            var extractive = parse.GetValue(chat.Extractive) || !services.GetRequiredService<ChatModel>().IsConfigured;
            using var cache = new MemoryCachedEmbeddingGenerator(services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
            var answerer = extractive ? CachedExtractiveAnswerer(services, cache) : services.GetRequiredService<GroundedAnswerer>();
            var evaluator = new QaEvaluator(services.GetRequiredService<IKnowledgeRetriever>(), answerer);
            var progress = new Progress<int>(n =>
            {
                if (n % 200 == 0)
                    Console.Error.WriteLine($"{data.Name}: {n} questions");
            });
            var report = await evaluator.EvaluateAsync(data, new QaEvaluationOptions
            {
                Limit = parse.GetValue(limit),
                Top = parse.GetValue(top),
                Extractive = extractive,
                HeldOutContexts = heldOutContexts,
            }, progress, cancellationToken);

            if (parse.GetValue(results) is { } resultsFile)
                await File.WriteAllLinesAsync(resultsFile, report.Results.Select(r => JsonSerializer.Serialize(r, ResultJson)), cancellationToken);
            if (json)
                CliJson.Write(report with { Results = [] });
            else
                Console.WriteLine(report);
            return 0;
        });
        return command;
    }

    private static readonly JsonSerializerOptions ResultJson = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

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
