using System.Text;
using System.Text.Json;
using KnowledgeQa.Agents.Chat;
using Microsoft.ML.OnnxRuntimeGenAI;

namespace KnowledgeQa.Agents.Classification;

/// <summary>
/// Classifies with a local ONNX Runtime GenAI model under constrained decoding: the generator is
/// given a regular expression that matches exactly the label names (GenAI's llguidance), so every
/// token the model may pick keeps the output on a path to a label and the answer cannot be anything
/// else. Scores put 1 on the label generated (greedy decoding has no calibrated probabilities).
/// </summary>
public sealed class GuidedGenAIClassifier : ITextClassifier, IDisposable
{
    private readonly IReadOnlyList<LabelDefinition> _labels;
    private readonly Model _model;
    private readonly Tokenizer _tokenizer;
    private readonly string? _chatTemplate;
    private readonly IDisposable[] _owned;
    private readonly int _maxLabelTokens;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private GuidedGenAIClassifier(IEnumerable<LabelDefinition> labels, Model model, Tokenizer tokenizer, string? chatTemplate, params IDisposable[] owned)
    {
        _labels = LabelDefinition.Validate(labels);
        Labels = _labels.Select(l => l.Name).ToArray();
        _model = model;
        _tokenizer = tokenizer;
        _chatTemplate = chatTemplate;
        _owned = owned;
        _maxLabelTokens = Labels.Max(l => { using var s = tokenizer.Encode(l); return s[0].Length; });
        Regex = LabelRegex(Labels);
    }

    public IReadOnlyList<string> Labels { get; }

    /// <summary>The guidance regex: an alternation of the escaped label names.</summary>
    public string Regex { get; }

    /// <summary>Loads the model folder (checked first, so a broken folder names its missing file) on the CPU.</summary>
    public static GuidedGenAIClassifier Open(string modelFolder, IEnumerable<LabelDefinition> labels)
    {
        var folder = GenAIModelFolder.Open(modelFolder);
        OnnxRuntimeNativeLibrary.EnsureAvailable();
        Model? model = null;
        Tokenizer? tokenizer = null;
        try
        {
            model = new Model(folder.Path);
            tokenizer = new Tokenizer(model);
            return new GuidedGenAIClassifier(labels, model, tokenizer, folder.SeparateChatTemplate, tokenizer, model);
        }
        catch (OnnxRuntimeGenAIException e)
        {
            tokenizer?.Dispose();
            model?.Dispose();
            throw new ChatModelException($"Chat model in '{folder.Path}' could not be loaded: {e.Message}", e);
        }
        catch
        {
            tokenizer?.Dispose();
            model?.Dispose();
            throw;
        }
    }

    /// <summary>Uses a model and tokenizer the caller owns (and disposes).</summary>
    public static GuidedGenAIClassifier FromModel(Model model, Tokenizer tokenizer, IEnumerable<LabelDefinition> labels, string? chatTemplate = null)
        => new(labels, model, tokenizer, chatTemplate);

    public async Task<ClassificationResult> ClassifyAsync(string text, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var reply = Generate(text, cancellationToken);
            var label = ClassificationPrompt.MatchLabel(reply, Labels)
                ?? throw new ClassificationException($"Constrained decoding produced \"{reply}\", which is no label; the model folder's tokenizer may not support guidance.");
            return new ClassificationResult(label, Labels.ToDictionary(l => l, l => l == label ? 1.0 : 0.0, StringComparer.Ordinal)) { Source = "constrained-decoding" };
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<IReadOnlyList<ClassificationResult>> ClassifyBatchAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        var results = new ClassificationResult[texts.Count];
        for (var i = 0; i < texts.Count; i++) results[i] = await ClassifyAsync(texts[i], cancellationToken).ConfigureAwait(false);
        return results;
    }

    private string Generate(string text, CancellationToken cancellationToken)
    {
        var prompt = FormatPrompt(text);
        using var sequences = _tokenizer.Encode(prompt);
        var promptLength = sequences[0].Length;
        using var parameters = new GeneratorParams(_model);
        // Room for the longest label and the end token; guidance ends generation as soon as a label is complete.
        parameters.SetSearchOption("max_length", promptLength + _maxLabelTokens + 2);
        parameters.SetSearchOption("do_sample", false);
        parameters.SetGuidance("regex", Regex, false);
        using var generator = new Generator(_model, parameters);
        generator.AppendTokenSequences(sequences);
        while (!generator.IsDone())
        {
            cancellationToken.ThrowIfCancellationRequested();
            generator.GenerateNextToken();
        }
        var eos = _tokenizer.GetEosTokenIds().ToArray();
        var output = generator.GetSequence(0)[promptLength..].ToArray().Where(t => !eos.Contains(t)).ToArray();
        return _tokenizer.Decode(output);
    }

    private string FormatPrompt(string text)
    {
        var messages = ClassificationPrompt.Build(_labels, text);
        var json = JsonSerializer.Serialize(messages.Select(m => new Dictionary<string, string> { ["role"] = m.Role.Value, ["content"] = m.Text }));
        return _tokenizer.ApplyChatTemplate(_chatTemplate!, json, null!, add_generation_prompt: true);
    }

    /// <summary>Label names as regex literals: every ASCII punctuation character escaped (as llguidance's Rust regex syntax allows).</summary>
    public static string LabelRegex(IEnumerable<string> labels)
    {
        var sb = new StringBuilder("(");
        var first = true;
        foreach (var label in labels)
        {
            if (!first) sb.Append('|');
            first = false;
            foreach (var c in label)
            {
                if (c < 128 && char.IsPunctuation(c) || c < 128 && char.IsSymbol(c)) { if (c is not ('<' or '>')) sb.Append('\\'); }
                sb.Append(c);
            }
        }
        return sb.Append(')').ToString();
    }

    public void Dispose()
    {
        foreach (var owned in _owned) owned.Dispose();
        _gate.Dispose();
    }
}
