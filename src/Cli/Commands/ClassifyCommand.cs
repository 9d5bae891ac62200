using System.CommandLine;
using KnowledgeQa.Agents.Classification;
using KnowledgeQa.Cli.Infrastructure;
using KnowledgeQa.Retrieval;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace KnowledgeQa.Cli.Commands;

/// <summary>
/// kqa classify: a text (or a JSONL batch) into labels, zero-shot (--labels), by a trained head
/// (--model FILE) or by the sentiment preset (--sentiment); kqa classify train fits a head.
/// </summary>
public static class ClassifyCommand
{
    public static Command Create()
    {
        var text = new Argument<string?>("text") { Description = "The text to classify (or use --input)", Arity = ArgumentArity.ZeroOrOne };
        var labels = new Option<string?>("--labels") { Description = "Comma-separated labels for zero-shot; name=description gives a label a description" };
        var model = new Option<string?>("--model") { Description = "A classifier file made by `kqa classify train`" };
        var sentiment = new Option<bool>("--sentiment") { Description = "Positive / negative / neutral, English and Chinese, no training" };
        var input = new Option<string?>("--input") { Description = "JSONL file with a \"text\" field per line: classify each, output in input order" };
        var threshold = new Option<double?>("--multi-label") { Description = "Zero-shot multi-label mode: every label with probability at least this" };

        var command = new Command("classify", "Classify text: zero-shot (--labels), trained (--model FILE) or sentiment (--sentiment)")
        {
            text, labels, model, sentiment, input, threshold,
        };
        command.Subcommands.Add(CreateTrain());
        command.SetCommandAction(async (parse, cancellationToken) =>
        {
            var texts = parse.GetValue(input) is { } path
                ? await LabelledDataReader.ReadTextsAsync(path, cancellationToken)
                : parse.GetValue(text) is { } single ? [single] : throw new InvalidOptionException("give a TEXT to classify or --input FILE.jsonl.");

            await using var services = CliServices.Build(parse);
            var generator = services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
            var classifier = await CreateClassifierAsync(parse.GetValue(labels), parse.GetValue(model), parse.GetValue(sentiment), parse.GetValue(threshold), generator, cancellationToken);
            var results = await classifier.ClassifyBatchAsync(texts, cancellationToken);

            var json = parse.GetValue(GlobalOptions.Json);
            if (json)
            {
                if (parse.GetValue(input) is null)
                    CliJson.Write(results[0]);
                else
                    CliJson.Write(results);
                return 0;
            }
            for (var i = 0; i < results.Count; i++)
            {
                var result = results[i];
                var prefix = results.Count > 1 ? $"{i + 1}: " : "";
                var scores = string.Join(", ", result.Scores.OrderByDescending(s => s.Value).Select(s => $"{s.Key} {s.Value:0.000}"));
                Console.WriteLine(TerminalText.Line($"{prefix}{result.Label}  ({scores})"));
            }
            return 0;
        });
        return command;
    }

    private static async Task<ITextClassifier> CreateClassifierAsync(
        string? labels, string? modelFile, bool sentiment, double? multiLabel,
        IEmbeddingGenerator<string, Embedding<float>> generator, CancellationToken cancellationToken)
    {
        var chosen = (labels is not null ? 1 : 0) + (modelFile is not null ? 1 : 0) + (sentiment ? 1 : 0);
        if (chosen != 1)
            throw new InvalidOptionException("choose one way to classify: --labels a,b,c (zero-shot), --model FILE (trained) or --sentiment.");
        if (modelFile is not null)
            return await TrainedClassifierFile.LoadAsync(modelFile, generator, cancellationToken);
        if (sentiment)
            return await SentimentClassifier.CreateAsync(generator, cancellationToken: cancellationToken);
        return await ZeroShotClassifier.CreateAsync(generator, ParseLabels(labels!),
            new ZeroShotOptions { MultiLabelThreshold = multiLabel }, cancellationToken);
    }

    /// <summary>"billing=invoices and refunds,technical,other" -> labels with optional descriptions.</summary>
    public static IReadOnlyList<LabelDefinition> ParseLabels(string labels) =>
        labels.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(LabelDefinition.Parse)
            .ToList();

    private static Command CreateTrain()
    {
        var data = new Option<string>("--data") { Description = "JSONL (text, label) or CSV (text,label header) of labelled texts", Required = true };
        var output = new Option<string>("--out") { Description = "Where to write the classifier file", Required = true };
        var noEmbeddings = new Option<bool>("--lexical-only") { Description = "Train on word and character n-grams only (no embedding model)" };
        var command = new Command("train", "Train a classifier head on labelled texts (held-out split, early stopping, fixed seed)")
        {
            data, output, noEmbeddings,
        };
        command.SetCommandAction(async (parse, cancellationToken) =>
        {
            var examples = await LabelledDataReader.ReadAsync(parse.GetValue(data)!, cancellationToken);
            await using var services = CliServices.Build(parse);
            var useEmbeddings = !parse.GetValue(noEmbeddings);
            var generator = useEmbeddings ? services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>() : null;
            var classifier = await TextClassifierTrainer.TrainAsync(examples, generator,
                new TextClassifierTrainingOptions { UseEmbeddings = useEmbeddings }, cancellationToken);
            await TrainedClassifierFile.SaveAsync(classifier, parse.GetValue(output)!, cancellationToken);

            if (parse.GetValue(GlobalOptions.Json))
                CliJson.Write(new { file = parse.GetValue(output), labels = classifier.Labels, summary = classifier.Summary });
            else
                Console.WriteLine($"trained on {classifier.Summary.TrainExamples} texts ({classifier.Summary.ValidationExamples} held out, validation accuracy {classifier.Summary.ValidationAccuracy:0.000}), labels {string.Join(", ", classifier.Labels)}; saved to {parse.GetValue(output)}");
            return 0;
        });
        return command;
    }
}
