using KnowledgeQa.Agents.Clustering;
using KnowledgeQa.Retrieval.Lexical;

namespace KnowledgeQa.Agents.Tests.Classification;

public sealed class ClusteringTests(EmbeddingModelFixture model) : IClassFixture<EmbeddingModelFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Gaussian blobs around the given centres, interleaved so input order says nothing.</summary>
    private static (List<float[]> Points, List<int> Blob) Blobs(float[][] centres, int perBlob, double spread, int seed)
    {
        var random = new Random(seed);
        var points = new List<float[]>();
        var blob = new List<int>();
        for (var i = 0; i < perBlob; i++)
            for (var b = 0; b < centres.Length; b++)
            {
                points.Add(centres[b].Select(x => (float)(x + spread * Gaussian(random))).ToArray());
                blob.Add(b);
            }
        return (points, blob);
    }

    private static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static readonly float[][] FourCentres = [[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]];

    [Fact]
    public void KMeans_recovers_well_separated_groups()
    {
        var (points, blob) = Blobs(FourCentres, 25, 0.8, seed: 1);

        var result = KMeans.Fit(points, 4, seed: 7, cancellationToken: Ct);

        // Same blob <=> same cluster, whatever the numbering.
        for (var i = 0; i < points.Count; i++)
            for (var j = i + 1; j < points.Count; j++)
                Assert.Equal(blob[i] == blob[j], result.Assignments[i] == result.Assignments[j]);
    }

    [Fact]
    public void KMeans_is_deterministic_for_a_seed()
    {
        var (points, _) = Blobs(FourCentres, 10, 3, seed: 2);
        Assert.Equal(KMeans.Fit(points, 3, seed: 5, cancellationToken: Ct).Assignments, KMeans.Fit(points, 3, seed: 5, cancellationToken: Ct).Assignments);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Silhouette_peaks_at_the_true_number_of_groups(int groups)
    {
        var (points, _) = Blobs(FourCentres[..groups], 20, 0.8, seed: 3);

        var scores = Enumerable.Range(2, 5).ToDictionary(k => k, k => Silhouette.Score(points, KMeans.Fit(points, k, seed: 11, cancellationToken: Ct).Assignments));

        Assert.Equal(groups, scores.MaxBy(p => p.Value).Key);
        Assert.InRange(scores[groups], 0.7, 1);
    }

    [Fact]
    public void Silhouette_of_a_clean_split_is_high_and_of_a_wrong_one_negative()
    {
        float[][] points = [[0, 0], [0, 1], [10, 0], [10, 1]];
        Assert.True(Silhouette.Score(points, [0, 0, 1, 1]) > 0.8);
        Assert.True(Silhouette.Score(points, [0, 1, 0, 1]) < 0);
    }

    [Fact]
    public async Task Texts_are_grouped_by_topic_and_described_by_terms_and_central_texts()
    {
        string[] football =
        [
            "The football team won the match with a late goal.", "The football striker scored a goal in the match.",
            "The football team scored a goal and won the match.", "A goal in the football match won it for the team.",
        ];
        string[] baking =
        [
            "Bake the cake with flour, butter and sugar in the oven.", "This cake recipe needs flour, butter and sugar.",
            "Mix flour, sugar and butter, then bake the cake.", "Add sugar and butter to the flour and bake the cake.",
        ];
        string[] computers =
        [
            "The laptop computer needs more memory for the software.", "Install the software update and restart the laptop computer.",
            "My laptop computer crashed while running the software.", "The software runs slowly on the laptop computer with little memory.",
        ];
        string[] texts = [.. football, .. baking, .. computers];
        var shuffled = texts.ToArray();
        new Random(3).Shuffle(shuffled); // input order must not matter (checked with other seeds too)

        var result = await new TextClusterer(model.Generator).ClusterAsync(shuffled, new ClusteringOptions { MaxClusters = 6 }, Ct);

        Assert.Equal(3, result.K);
        Assert.Equal(result.SilhouetteByK.MaxBy(p => p.Value).Key, result.K);
        foreach (var topic in new[] { football, baking, computers })
        {
            var ids = topic.Select(t => result.Assignments[Array.IndexOf(shuffled, t)]).Distinct().ToArray();
            Assert.Single(ids);
            var cluster = result.Clusters[ids[0]];
            Assert.Equal(4, cluster.Size);
            Assert.All(cluster.CentralTexts, c => Assert.Contains(c.Text, topic));
            Assert.Equal(3, cluster.CentralTexts.Count);
        }
        var footballCluster = result.Clusters[result.Assignments[Array.IndexOf(shuffled, football[0])]];
        Assert.Contains("football", footballCluster.Terms.Take(3).Select(t => t.Term));
        Assert.DoesNotContain(footballCluster.Terms, t => t.Term is "the" or "in" or "a");
    }

    [Fact]
    public async Task A_given_k_is_used()
    {
        string[] texts = ["red apples", "green apples", "fast cars", "slow cars", "blue sky"];
        var result = await new TextClusterer(model.Generator).ClusterAsync(texts, new ClusteringOptions { Clusters = 2 }, Ct);
        Assert.Equal(2, result.K);
        Assert.Equal(5, result.Clusters.Sum(c => c.Size));
        Assert.True(result.Clusters[0].Size >= result.Clusters[1].Size);
    }

    [Fact]
    public void Chinese_cluster_terms_are_jieba_words()
    {
        var extractor = new ClusterTermExtractor(new Bm25SparseEncoder(new Bm25Options { ChineseTerms = ChineseTerms.Words }));
        string[] texts = ["酒店的房间很干净", "房间干净，酒店服务好", "外卖送餐很慢", "送餐太慢了，外卖凉了"];

        var terms = extractor.Extract(texts, [0, 0, 1, 1], 2, top: 3);

        Assert.Contains("房间", terms[0].Select(t => t.Term));
        Assert.Contains("送餐", terms[1].Select(t => t.Term));
        Assert.All(terms.SelectMany(t => t), t => Assert.True(t.Term.Length >= 2));
    }

    [Fact]
    public async Task Fewer_than_two_texts_are_refused()
        => await Assert.ThrowsAsync<ClusteringException>(() => new TextClusterer(model.Generator).ClusterAsync(["only one"], cancellationToken: Ct));
}
