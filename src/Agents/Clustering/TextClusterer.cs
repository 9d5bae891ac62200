using System.Text.Json.Serialization;
using KnowledgeQa.Agents.Classification;
using KnowledgeQa.Retrieval;
using KnowledgeQa.Retrieval.Lexical;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Clustering;

public sealed class ClusteringOptions
{
    /// <summary>The number of clusters; null chooses it by silhouette score between <see cref="MinClusters"/> and <see cref="MaxClusters"/>.</summary>
    public int? Clusters { get; set; }

    public int MinClusters { get; set; } = 2;

    public int MaxClusters { get; set; } = 10;

    public int TermsPerCluster { get; set; } = 8;

    public int CentralTextsPerCluster { get; set; } = 3;

    /// <summary>Seeds k-means++ and the silhouette sample: the same texts always give the same clusters.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>k-means runs per k; the one with the lowest inertia is kept.</summary>
    public int Restarts { get; set; } = 8;

    internal void Validate(int count)
    {
        if (count < 2) throw new ClusteringException($"Clustering needs at least two texts; got {count}.");
        if (Clusters is { } k && (k < 1 || k > count))
            throw new InvalidOptionException($"The number of clusters must lie between 1 and the number of texts ({count}); got {k}.");
        if (Clusters is null && (MinClusters < 2 || MaxClusters < MinClusters))
            throw new InvalidOptionException($"The cluster range {MinClusters}..{MaxClusters} is empty or starts below 2.");
        if (TermsPerCluster < 0 || CentralTextsPerCluster < 0) throw new InvalidOptionException("Terms and central texts per cluster must not be negative.");
    }
}

/// <summary>Texts grouped by meaning.</summary>
public sealed record ClusteringResult(
    [property: JsonPropertyName("k")] int K,
    [property: JsonPropertyName("silhouette")] double? Silhouette,
    [property: JsonPropertyName("silhouetteByK")] IReadOnlyDictionary<int, double> SilhouetteByK,
    [property: JsonPropertyName("clusters")] IReadOnlyList<TextCluster> Clusters,
    [property: JsonPropertyName("assignments")] IReadOnlyList<int> Assignments);

/// <summary>One cluster: numbered by size (0 is the largest), described by its characteristic terms and its most central texts.</summary>
public sealed record TextCluster(
    [property: JsonPropertyName("id")] int Id,
    [property: JsonPropertyName("size")] int Size,
    [property: JsonPropertyName("terms")] IReadOnlyList<ClusterTerm> Terms,
    [property: JsonPropertyName("centralTexts")] IReadOnlyList<CentralText> CentralTexts,
    [property: JsonPropertyName("members")] IReadOnlyList<int> Members);

public sealed record ClusterTerm([property: JsonPropertyName("term")] string Term, [property: JsonPropertyName("score")] double Score);

/// <summary>A text near the cluster's centre: its input index, the text, and its cosine to the centroid.</summary>
public sealed record CentralText(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("similarity")] double Similarity);

/// <summary>Clustering input that cannot work (too few texts).</summary>
public sealed class ClusteringException(string message) : KnowledgeQaException(message);

/// <summary>
/// Groups unlabelled texts with k-means over their embeddings, choosing k by silhouette score when it
/// is not given, and describes every cluster by c-TF-IDF terms and the texts closest to its centroid.
/// Without a term extractor, Chinese terms are jieba words from the BM25 encoder's segmenter.
/// </summary>
public sealed class TextClusterer(IEmbeddingGenerator<string, Embedding<float>> generator, ClusterTermExtractor? terms = null)
{
    private readonly ClusterTermExtractor _terms = terms ?? new ClusterTermExtractor(new Bm25SparseEncoder(new Bm25Options { ChineseTerms = ChineseTerms.Words }));

    public async Task<ClusteringResult> ClusterAsync(IReadOnlyList<string> texts, ClusteringOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ClusteringOptions();
        options.Validate(texts.Count);
        var vectors = await generator.EmbedNormalizedAsync(texts, cancellationToken).ConfigureAwait(false);
        return Cluster(texts, vectors, options, cancellationToken);
    }

    /// <summary>Clusters texts whose unit-length embeddings are already known.</summary>
    public ClusteringResult Cluster(IReadOnlyList<string> texts, IReadOnlyList<float[]> vectors, ClusteringOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ClusteringOptions();
        options.Validate(texts.Count);
        var byK = new SortedDictionary<int, double>();
        KMeansResult best;
        if (options.Clusters is { } k)
        {
            best = KMeans.Fit(vectors, k, options.Seed, options.Restarts, cancellationToken: cancellationToken);
            if (k >= 2 && k < texts.Count) byK[k] = Silhouette.Score(vectors, best.Assignments, seed: options.Seed);
        }
        else
        {
            best = null!;
            var max = Math.Min(options.MaxClusters, texts.Count - 1);
            for (var candidate = Math.Min(options.MinClusters, max); candidate <= max; candidate++)
            {
                var fit = KMeans.Fit(vectors, candidate, options.Seed, options.Restarts, cancellationToken: cancellationToken);
                byK[candidate] = Silhouette.Score(vectors, fit.Assignments, seed: options.Seed);
                if (best is null || byK[candidate] > byK[best.Centroids.Length]) best = fit;
            }
        }
        return Describe(texts, vectors, best, byK, options);
    }

    private ClusteringResult Describe(IReadOnlyList<string> texts, IReadOnlyList<float[]> vectors, KMeansResult fit, SortedDictionary<int, double> byK, ClusteringOptions options)
    {
        var k = fit.Centroids.Length;
        // Renumber by size, largest first, so the output reads from the main themes down.
        var order = Enumerable.Range(0, k).OrderByDescending(c => fit.Assignments.Count(a => a == c)).ThenBy(c => c).ToArray();
        var newId = new int[k];
        for (var i = 0; i < k; i++) newId[order[i]] = i;
        var assignments = fit.Assignments.Select(a => newId[a]).ToArray();
        var centroids = order.Select(c => VectorMath.Normalized(fit.Centroids[c])).ToArray();

        var clusterTerms = _terms.Extract(texts, assignments, k, options.TermsPerCluster);
        var clusters = new List<TextCluster>(k);
        for (var c = 0; c < k; c++)
        {
            var members = Enumerable.Range(0, texts.Count).Where(i => assignments[i] == c).ToArray();
            var central = members
                .Select(i => new CentralText(i, texts[i], VectorMath.Dot(vectors[i], centroids[c])))
                .OrderByDescending(t => t.Similarity).ThenBy(t => t.Index)
                .Take(options.CentralTextsPerCluster)
                .ToArray();
            clusters.Add(new TextCluster(c, members.Length, clusterTerms[c].Select(t => new ClusterTerm(t.Term, t.Score)).ToArray(), central, members));
        }
        return new ClusteringResult(k, byK.TryGetValue(k, out var s) ? s : null, byK, clusters, assignments);
    }
}
