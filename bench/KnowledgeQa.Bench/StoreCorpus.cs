using System.Numerics.Tensors;
using System.Text;
using System.Text.Json;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Embeddings;
using KnowledgeQa.Retrieval.Lexical;

namespace KnowledgeQa.Bench;

/// <summary>A passage or question of the shared evaluation data with its real embedding.</summary>
internal sealed record RealText(string Text, bool Chinese, float[] Vector);

/// <summary>
/// The store benchmark's corpus: chunks with the structure of real data. The first chunks are
/// the real passages of SciFact, XQuAD, DRCD and CMRC 2018, chunked as ingestion chunks them and
/// embedded by the bundled all-MiniLM-L6-v2. The rest are drawn around them: each document takes
/// a real passage as its topic, and each of its chunks mixes a passage near that topic with one
/// of that passage's nearest neighbours (vector: a random point between the two plus Gaussian
/// noise, re-normalised; text: the passage's words with a fifth replaced by words drawn from the
/// corpus, so term frequencies stay those of real text, English and Chinese). Queries are the
/// sets' real questions, embedded by the same model. Everything is cached under a git-ignored
/// folder, so only the first run pays for embedding and encoding.
/// </summary>
internal sealed class StoreCorpus
{
    public const int Dimensions = 384;
    public const int ChunksPerDocument = 100;
    private const int FormatVersion = 1;
    private const int Neighbours = 16;
    private const double ReplacedWords = 0.2;

    private readonly string _chunkFile;
    private readonly long[] _offsets;

    private StoreCorpus(string chunkFile, long[] offsets, IReadOnlyList<RealText> queries)
    {
        _chunkFile = chunkFile;
        _offsets = offsets;
        Count = offsets.Length;
        Queries = queries;
    }

    public int Count { get; }

    /// <summary>English and Chinese questions with their embeddings.</summary>
    public IReadOnlyList<RealText> Queries { get; }

    /// <summary>The document a chunk belongs to (fixed-size documents in corpus order).</summary>
    public static string DocumentId(int documentNumber) => $"doc{documentNumber:D6}";

    /// <summary>Reads the corpus (building and caching it first if needed).</summary>
    /// <param name="realPassages">Embed only this many of the real passages, spread evenly over the sets (0: all of them, about 15,000 chunks).</param>
    public static async Task<StoreCorpus> LoadOrBuildAsync(string data, string cache, int count, int realPassages = 0)
    {
        Directory.CreateDirectory(cache);
        var real = await LoadRealAsync(data, Path.Combine(cache, "real.bin"), queries: false, realPassages);
        var queries = await LoadRealAsync(data, Path.Combine(cache, "queries.bin"), queries: true);
        // Chunks are generated one by one from their own seeds, so any cached corpus is the beginning of a larger one.
        var cached = Directory.GetFiles(cache, "corpus-*.bin")
            .Select(f => (File: f, Count: int.TryParse(Path.GetFileNameWithoutExtension(f)[7..], out var n) ? n : 0))
            .Where(f => f.Count > 0).ToList();
        if (cached.Where(f => f.Count >= count).OrderBy(f => f.Count).FirstOrDefault() is { File: not null } large)
        {
            return new StoreCorpus(large.File, ReadOffsets(large.File, large.Count)[..count], queries);
        }
        var chunkFile = Path.Combine(cache, $"corpus-{count}.bin");
        var smaller = cached.OrderByDescending(f => f.Count).FirstOrDefault();
        if (smaller.File is not null)
        {
            File.Move(smaller.File, chunkFile + ".tmp", overwrite: true);
            File.Delete(smaller.File + ".offsets");
        }
        Generate(real, smaller.Count, count, chunkFile);
        return new StoreCorpus(chunkFile, ReadOffsets(chunkFile, count), queries);
    }

    /// <summary>Where each chunk's record starts (cached beside the corpus after the first scan).</summary>
    private static long[] ReadOffsets(string chunkFile, int count)
    {
        var offsetFile = chunkFile + ".offsets";
        var offsets = new long[count];
        if (File.Exists(offsetFile) && new FileInfo(offsetFile).Length == count * 8L)
        {
            using var stream = File.OpenRead(offsetFile);
            stream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(offsets.AsSpan()));
            return offsets;
        }
        using (var stream = new BufferedStream(File.OpenRead(chunkFile), 1 << 20))
        using (var reader = new BinaryReader(stream))
        {
            if (ReadHeader(reader) != count)
            {
                throw new InvalidDataException($"{chunkFile} holds another number of chunks: delete it and run again.");
            }
            var at = 12L;
            for (var i = 0; i < count; i++)
            {
                offsets[i] = at;
                var textBytes = reader.ReadInt32();
                stream.Seek(textBytes + Dimensions * 4L, SeekOrigin.Current);
                var terms = reader.ReadInt32();
                stream.Seek(terms * 8L, SeekOrigin.Current);
                at += 4 + textBytes + Dimensions * 4L + 4 + terms * 8L;
            }
        }
        using (var output = File.Create(offsetFile))
        {
            output.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(offsets.AsSpan()));
        }
        return offsets;
    }

    /// <summary>The questions alone (embedding them first if needed).</summary>
    public static async Task<IReadOnlyList<RealText>> LoadQueriesAsync(string data, string cache)
    {
        Directory.CreateDirectory(cache);
        return await LoadRealAsync(data, Path.Combine(cache, "queries.bin"), queries: true);
    }

    /// <summary>The chunks in order from <paramref name="start"/>, each with its text, vector and BM25 weights.</summary>
    public IEnumerable<(string Text, float[] Vector, SparseVector Sparse)> ReadChunks(int start = 0, int count = int.MaxValue)
    {
        var end = (int)Math.Min(Count, (long)start + count);
        if (start >= end)
        {
            yield break;
        }
        var stream = File.OpenRead(_chunkFile);
        stream.Position = _offsets[start];
        using var reader = new BinaryReader(new BufferedStream(stream, count < 64 ? 1 << 14 : 1 << 20));
        for (var i = start; i < end; i++)
        {
            var text = ReadString(reader);
            var vector = ReadFloats(reader, Dimensions);
            var terms = reader.ReadInt32();
            var indices = new uint[terms];
            for (var t = 0; t < terms; t++)
            {
                indices[t] = reader.ReadUInt32();
            }
            yield return (text, vector, new SparseVector(indices, ReadFloats(reader, terms)));
        }
    }

    // ---- building ----

    private static async Task<List<RealText>> LoadRealAsync(string data, string cacheFile, bool queries, int realPassages = 0)
    {
        if (File.Exists(cacheFile))
        {
            using var reader = new BinaryReader(File.OpenRead(cacheFile));
            var count = ReadHeader(reader);
            var loaded = new List<RealText>(count);
            for (var i = 0; i < count; i++)
            {
                var chinese = reader.ReadBoolean();
                loaded.Add(new RealText(ReadString(reader), chinese, ReadFloats(reader, Dimensions)));
            }
            return loaded;
        }

        using var generator = new OnnxEmbeddingGenerator(new EmbeddingOptions());
        var texts = queries ? ReadQuestions(data) : ReadPassages(data, generator, realPassages);
        Console.WriteLine($"   embedding {texts.Count:N0} real {(queries ? "questions" : "passages")} once (cached in {cacheFile})");
        var result = new List<RealText>(texts.Count);
        for (var i = 0; i < texts.Count; i += 32)
        {
            var batch = texts.Skip(i).Take(32).ToList();
            var embeddings = await generator.GenerateAsync(batch.Select(b => b.Text).ToList());
            result.AddRange(batch.Select((b, j) => new RealText(b.Text, b.Chinese, embeddings[j].Vector.ToArray())));
        }
        using (var writer = new BinaryWriter(File.Create(cacheFile + ".tmp")))
        {
            WriteHeader(writer, result.Count);
            foreach (var item in result)
            {
                writer.Write(item.Chinese);
                WriteString(writer, item.Text);
                WriteFloats(writer, item.Vector);
            }
        }
        File.Move(cacheFile + ".tmp", cacheFile, overwrite: true);
        return result;
    }

    /// <summary>Real passages, chunked with the ingestion chunker and its defaults (256 tokens).</summary>
    private static List<(string Text, bool Chinese)> ReadPassages(string data, OnnxEmbeddingGenerator generator, int limit)
    {
        var chunker = new TextChunker(generator.TokenCounter, new ChunkingOptions());
        var passages = new List<(string Id, string Text, bool Chinese)>();
        passages.AddRange(ReadJsonLines(Path.Combine(data, "scifact", "corpus.jsonl"))
            .Select(e => ("scifact-" + e.GetProperty("_id").GetString(), e.GetProperty("title").GetString() + "\n" + e.GetProperty("text").GetString(), false)));
        foreach (var (set, chinese) in new[] { ("xquad-en", false), ("drcd", true), ("cmrc2018", true) })
        {
            passages.AddRange(ReadJsonLines(Path.Combine(data, set, "contexts.jsonl"))
                .Select(e => ($"{set}-{e.GetProperty("id").GetString()}", e.GetProperty("text").GetString()!, chinese)));
        }
        if (limit > 0 && limit < passages.Count)
        {
            // Every (count / limit)-th passage, so each set keeps its share.
            var count = passages.Count;
            passages = passages.Where((_, i) => (long)i * limit % count < limit).ToList();
        }
        return passages
            .SelectMany(p => chunker.Split(new Document(p.Id, p.Id, p.Text)).Select(c => (c.Text, p.Chinese)))
            .ToList();
    }

    /// <summary>English questions (SciFact claims, XQuAD) and Chinese ones (DRCD, CMRC 2018), 150 of each set at most.</summary>
    private static List<(string Text, bool Chinese)> ReadQuestions(string data)
    {
        var questions = new List<(string, bool)>();
        questions.AddRange(ReadJsonLines(Path.Combine(data, "scifact", "queries.jsonl")).Take(150).Select(e => (e.GetProperty("text").GetString()!, false)));
        foreach (var (set, chinese) in new[] { ("xquad-en", false), ("drcd", true), ("cmrc2018", true) })
        {
            questions.AddRange(ReadJsonLines(Path.Combine(data, set, "questions.jsonl")).Take(150).Select(e => (e.GetProperty("question").GetString()!, chinese)));
        }
        return questions;
    }

    /// <summary>Writes chunks <paramref name="from"/> to <paramref name="count"/> (appending to the temporary file when it holds the first ones).</summary>
    private static void Generate(List<RealText> real, int from, int count, string chunkFile)
    {
        Console.WriteLine($"   generating chunks {from:N0} to {count:N0} around {real.Count:N0} real ones once (cached in {chunkFile})");
        var neighbours = NearestNeighbours(real);
        var englishWords = real.Where(r => !r.Chinese).SelectMany(r => r.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        var chineseCharacters = real.Where(r => r.Chinese).SelectMany(r => r.Text.Where(c => c >= '\u4e00' && c <= '\u9fff')).ToArray();
        var encoder = new Bm25SparseEncoder();
        var stream = new FileStream(chunkFile + ".tmp", from == 0 ? FileMode.Create : FileMode.Open);
        using var writer = new BinaryWriter(new BufferedStream(stream, 1 << 20));
        WriteHeader(writer, count);
        writer.Flush();
        writer.BaseStream.Seek(0, SeekOrigin.End);
        const int batch = 4096;
        for (var first = from; first < count; first += batch)
        {
            var size = Math.Min(batch, count - first);
            var texts = new string[size];
            var vectors = new float[size][];
            var sparse = new SparseVector[size];
            // Each chunk has its own seed, so the corpus is the same however it is split over threads.
            Parallel.For(0, size, i =>
            {
                var n = first + i;
                if (n < real.Count)
                {
                    (texts[i], vectors[i]) = (real[n].Text, real[n].Vector);
                }
                else
                {
                    var random = new Random(n);
                    var topic = new Random(n / ChunksPerDocument).Next(real.Count);
                    var passage = neighbours[topic][random.Next(Neighbours)];
                    var other = neighbours[passage][1 + random.Next(Neighbours - 1)];
                    vectors[i] = MixVectors(real[passage].Vector, real[other].Vector, random);
                    texts[i] = real[passage].Chinese
                        ? MutateChinese(real[passage].Text, chineseCharacters, random)
                        : MutateEnglish(real[passage].Text, englishWords, random);
                }
                sparse[i] = encoder.EncodeDocument(texts[i]);
            });
            for (var i = 0; i < size; i++)
            {
                WriteString(writer, texts[i]);
                WriteFloats(writer, vectors[i]);
                writer.Write(sparse[i].Count);
                foreach (var index in sparse[i].Indices)
                {
                    writer.Write(index);
                }
                WriteFloats(writer, sparse[i].Values);
            }
            if ((first / batch) % 25 == 0)
            {
                Console.WriteLine($"   ... {first + size:N0}");
            }
        }
        writer.Flush();
        writer.Close();
        File.Move(chunkFile + ".tmp", chunkFile, overwrite: true);
    }

    /// <summary>For each real chunk, the nearest real chunks of its own language by cosine, itself first.</summary>
    private static int[][] NearestNeighbours(List<RealText> real)
    {
        var result = new int[real.Count][];
        Parallel.For(0, real.Count, i =>
        {
            var collector = new PriorityQueue<int, float>();
            for (var j = 0; j < real.Count; j++)
            {
                if (real[j].Chinese != real[i].Chinese)
                {
                    continue;
                }
                var score = i == j ? float.MaxValue : TensorPrimitives.Dot(real[i].Vector, real[j].Vector);
                collector.Enqueue(j, score);
                if (collector.Count > Neighbours)
                {
                    collector.Dequeue();
                }
            }
            var best = new int[collector.Count];
            for (var k = best.Length - 1; k >= 0; k--)
            {
                best[k] = collector.Dequeue();
            }
            result[i] = best;
        });
        return result;
    }

    private static float[] MixVectors(float[] a, float[] b, Random random)
    {
        var t = (float)(random.NextDouble() * 0.5);
        var noise = (float)(0.15 + random.NextDouble() * 0.35) / MathF.Sqrt(Dimensions);
        var vector = new float[Dimensions];
        for (var d = 0; d < Dimensions; d++)
        {
            vector[d] = (1 - t) * a[d] + t * b[d] + noise * (float)Gaussian(random);
        }
        TensorPrimitives.Divide(vector, TensorPrimitives.Norm(vector), vector);
        return vector;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static string MutateEnglish(string text, string[] pool, Random random)
    {
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < words.Length; i++)
        {
            if (random.NextDouble() < ReplacedWords)
            {
                words[i] = pool[random.Next(pool.Length)];
            }
        }
        return string.Join(' ', words);
    }

    private static string MutateChinese(string text, char[] pool, Random random)
    {
        var characters = text.ToCharArray();
        for (var i = 0; i < characters.Length; i++)
        {
            if (characters[i] >= '\u4e00' && characters[i] <= '\u9fff' && random.NextDouble() < ReplacedWords)
            {
                characters[i] = pool[random.Next(pool.Length)];
            }
        }
        return new string(characters);
    }

    // ---- file format: a header, then records of length-prefixed UTF-8 strings and float32 runs ----

    private static void WriteHeader(BinaryWriter writer, int count)
    {
        writer.Write(FormatVersion);
        writer.Write(Dimensions);
        writer.Write(count);
    }

    private static int ReadHeader(BinaryReader reader)
    {
        if (reader.ReadInt32() != FormatVersion || reader.ReadInt32() != Dimensions)
        {
            throw new InvalidDataException("The cached store corpus has another format: delete the cache folder and run again.");
        }
        return reader.ReadInt32();
    }

    private static void WriteString(BinaryWriter writer, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    private static string ReadString(BinaryReader reader) => Encoding.UTF8.GetString(reader.ReadBytes(reader.ReadInt32()));

    private static void WriteFloats(BinaryWriter writer, float[] values) =>
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));

    private static float[] ReadFloats(BinaryReader reader, int count)
    {
        var values = new float[count];
        reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    private static IEnumerable<JsonElement> ReadJsonLines(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement);
}
