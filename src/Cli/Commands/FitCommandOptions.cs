using System.CommandLine;

namespace KnowledgeQa.Cli.Commands;

/// <summary>
/// The options both fit commands take (kqa eval fit-relevance, fit-sentences): the sets and stores the
/// samples come from, and the source file a refit is written into once the sample answer set passes.
/// </summary>
internal sealed class FitCommandOptions
{
    public FitCommandOptions(string samplesFolder, string sourceFile, string heldOutQuestions)
    {
        SamplesFolder = samplesFolder;
        Reuse = new Option<bool>("--reuse-samples")
        {
            Description = $"Fit on the samples saved by an earlier run (STORES/{samplesFolder}/SET.jsonl) instead of searching again",
        };
        Write = new Option<string?>("--write-source") { Description = $"Replace the fitted block of this file ({sourceFile}) with the new models" };
        HeldOut = new Option<int>("--hold-out-every")
        {
            Description = $"The store eval qa uses: every Nth context left out ({heldOutQuestions})", DefaultValueFactory = _ => 10,
        };
    }

    /// <summary>The folder under the stores where collected samples are saved for --reuse-samples.</summary>
    public string SamplesFolder { get; }

    public Option<string[]> Datasets { get; } = new("--dataset")
    {
        Description = "Folder with contexts.jsonl + questions.jsonl (repeatable; development halves only)", Required = true,
    };

    public Option<int?> Limit { get; } = new("--limit") { Description = "Use only the first N questions of each set" };

    public Option<int> Top { get; } = new("--top") { Description = "Passages per question (k)", DefaultValueFactory = _ => 5 };

    public Option<int> HeldOut { get; }

    public Option<string> Stores { get; } = new("--stores") { Description = "Folder of the per-set stores", DefaultValueFactory = _ => ".kqa-eval" };

    public Option<bool> Reuse { get; }

    public Option<string?> Write { get; }

    public Option<string> AnswerSet { get; } = new("--answer-set")
    {
        Description = "The sample knowledge base the answer set is asked over (README examples); a refit that fails it is not written",
        DefaultValueFactory = _ => Path.Combine("samples", "docs"),
    };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Datasets, Limit, Top, HeldOut, Stores, Reuse, Write, AnswerSet })
            command.Options.Add(option);
    }
}
