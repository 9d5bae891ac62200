using KnowledgeQa.Retrieval;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Classification;

public sealed class SentimentOptions
{
    /// <summary>
    /// The answer is neutral when the positive and negative probabilities lie within this margin of each
    /// other (0.2: anything between 40/60 and 60/40), or when a Chinese text holds no sentiment word.
    /// 0 turns neutral off.
    /// </summary>
    public double NeutralMargin { get; set; } = 0.2;

    /// <summary>Texts with at least this share of CJK letters take the Chinese (lexicon) path.</summary>
    public double ChineseShare { get; set; } = 0.3;

    /// <summary>
    /// Softmax temperature over the English cosines. The default was fitted (minimum log-loss) on the
    /// training half of the SST-2 development set; see docs/quality.md.
    /// </summary>
    public double EnglishTemperature { get; set; } = DefaultEnglishTemperature;

    /// <summary>
    /// Log-odds per unit of Chinese lexicon score. Fitted like the English temperature on the training
    /// halves of the two Chinese review sets (0.6 on hotel reviews, 1.3 on food delivery); 1 sits between.
    /// </summary>
    public double ChineseScale { get; set; } = DefaultChineseScale;

    internal const double DefaultEnglishTemperature = 0.06;
    internal const double DefaultChineseScale = 1.0;
}

/// <summary>
/// Positive / negative / neutral for English and Chinese with nothing to train. English goes through
/// the embedding model, zero-shot against several descriptions of each polarity; Chinese, which the
/// bundled English embedding model cannot read, through <see cref="ChineseSentimentLexicon"/>. Both
/// give a polarity in log-odds, and a three-way softmax with a fixed neutral logit turns it into
/// probabilities, so a text with weak or balanced evidence comes out neutral.
/// </summary>
public sealed class SentimentClassifier : ITextClassifier
{
    public const string Positive = "positive";
    public const string Negative = "negative";
    public const string Neutral = "neutral";

    /// <summary>Several phrasings per polarity, averaged into one prototype: reviews, service, products and plain feelings.</summary>
    internal static readonly LabelDefinition[] EnglishPrototypes =
    [
        new(Positive,
            "A positive review: it is good, enjoyable, moving, funny and worth it.",
            "I loved it. It was wonderful, excellent and delightful.",
            "Great service, I am very happy and satisfied.",
            "A great product, highly recommended."),
        new(Negative,
            "A negative review: it is bad, boring, dull, stupid and a waste of time.",
            "I hated it. It was terrible, awful and disappointing.",
            "Poor service, I am very unhappy and angry.",
            "A bad product, do not buy it."),
    ];

    private readonly ZeroShotClassifier _english;
    private readonly ChineseSentimentLexicon _chinese;
    private readonly SentimentOptions _options;
    private readonly double _neutralLogit;

    private SentimentClassifier(ZeroShotClassifier english, ChineseSentimentLexicon chinese, SentimentOptions options)
    {
        _english = english;
        _chinese = chinese;
        _options = options;
        if (options.NeutralMargin is < 0 or >= 1)
            throw new InvalidOptionException($"The neutral margin must lie in [0, 1); got {options.NeutralMargin}.");
        // |p+ - p-| = tanh(|s|) for a binary softmax over (s, -s): the neutral logit sits where that equals the margin.
        _neutralLogit = Math.Atanh(options.NeutralMargin);
        Labels = options.NeutralMargin > 0 ? [Positive, Negative, Neutral] : [Positive, Negative];
    }

    public IReadOnlyList<string> Labels { get; }

    public static async Task<SentimentClassifier> CreateAsync(
        IEmbeddingGenerator<string, Embedding<float>> generator,
        SentimentOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new SentimentOptions();
        var english = await ZeroShotClassifier.CreateAsync(generator, EnglishPrototypes,
            new ZeroShotOptions { Temperature = options.EnglishTemperature }, cancellationToken).ConfigureAwait(false);
        return new SentimentClassifier(english, ChineseSentimentLexicon.Default, options);
    }

    public async Task<ClassificationResult> ClassifyAsync(string text, CancellationToken cancellationToken = default)
        => (await ClassifyBatchAsync([text], cancellationToken).ConfigureAwait(false))[0];

    public async Task<IReadOnlyList<ClassificationResult>> ClassifyBatchAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        var results = new ClassificationResult[texts.Count];
        var english = new List<int>();
        for (var i = 0; i < texts.Count; i++)
        {
            if (LexicalTokenizer.CjkShare(texts[i]) >= _options.ChineseShare)
                results[i] = FromPolarity(_options.ChineseScale * _chinese.Score(texts[i]).Score / 2, "chinese-lexicon");
            else
                english.Add(i);
        }
        if (english.Count > 0)
        {
            var englishResults = await _english.ClassifyBatchAsync(english.Select(i => texts[i]).ToArray(), cancellationToken).ConfigureAwait(false);
            for (var j = 0; j < english.Count; j++)
            {
                // Back from the binary probability to half its log-odds: the s of softmax(s, -s).
                var p = Math.Clamp(englishResults[j].Scores[Positive], 1e-12, 1 - 1e-12);
                results[english[j]] = FromPolarity(0.5 * Math.Log(p / (1 - p)), "english-embedding");
            }
        }
        return results;
    }

    private ClassificationResult FromPolarity(double halfLogOdds, string source)
    {
        var probabilities = Labels.Count == 3
            ? VectorMath.Softmax([halfLogOdds, -halfLogOdds, _neutralLogit])
            : VectorMath.Softmax([halfLogOdds, -halfLogOdds]);
        return ClassificationResult.FromProbabilities(Labels, probabilities) with { Source = source };
    }
}
