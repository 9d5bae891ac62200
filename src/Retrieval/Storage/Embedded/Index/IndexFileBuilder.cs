using System.Buffers.Binary;
using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Storage.Embedded.Index;

/// <summary>
/// Builds an index file from the store, inside one read transaction so that the file mirrors one
/// committed state. A sample of the vectors (random rowids) trains the list centroids and the
/// quantizer; a first pass over the chunks assigns each row its list and counts each term's
/// postings; a second pass writes every row's codes (int8 and 4-bit) at its position and scatters its postings
/// into place. Memory stays at a few arrays of one entry per row plus the term table: the codes
/// and postings go straight into the mapped file.
/// </summary>
internal static class IndexFileBuilder
{
    private const int Seed = 20_251_201;
    private const int MaximumSample = 40_000;
    private const int AssignBatch = 4096;

    public static async Task BuildAsync(
        SqliteTransaction snapshot, int dimensions, Guid storeId, long changeSequence, string temporaryPath, string path, CancellationToken cancellationToken)
    {
        var connection = snapshot.Connection!;
        var (rows, maxRowId) = await CountAsync(snapshot, cancellationToken).ConfigureAwait(false);
        var lists = ListPartition.ListsFor(rows);
        var sample = await SampleAsync(snapshot, dimensions, rows, maxRowId, Math.Min(rows, Math.Clamp(lists * 32, 10_000, MaximumSample)), cancellationToken).ConfigureAwait(false);
        var partition = ListPartition.Train(sample, dimensions, lists, Seed);
        var quantizer = ScalarQuantizer.Fit(sample, dimensions);
        var nibbles = NibbleQuantizer.Fit(sample, dimensions);
        lists = partition.Lists;

        // Pass 1: rows, documents, lists, term counts.
        var chunkRowIds = new long[rows];
        var documentKeys = new long[rows];
        var listOfRow = new int[rows];
        var termCounts = new Dictionary<uint, int>();
        var nonNegative = true;
        var row = 0;
        var vector = new float[dimensions];
        var normalized = new float[dimensions];
        // Assigning rows to lists is most of this pass's work: it runs in batches on every core.
        var batch = new float[AssignBatch * dimensions];
        void AssignBatchOf(int end)
        {
            var first = (end - 1) / AssignBatch * AssignBatch;
            Parallel.For(first, end, r => listOfRow[r] = partition.Assign(batch.AsSpan((r - first) * dimensions, dimensions)));
        }
        await ScanAsync(snapshot, dimensions, (chunkRowId, documentKey, vectorBytes, sparseBytes) =>
        {
            if (row == rows)
            {
                throw new InvalidOperationException("The chunk count changed within one read transaction.");
            }
            chunkRowIds[row] = chunkRowId;
            documentKeys[row] = documentKey;
            BlobCodec.DecodeVector(vectorBytes, vector);
            DenseIndex.Normalize(vector, batch.AsSpan(row % AssignBatch * dimensions, dimensions));
            if (row % AssignBatch == AssignBatch - 1)
            {
                AssignBatchOf(row + 1);
            }
            var terms = ReadTerms(sparseBytes, out var weights);
            foreach (var term in terms)
            {
                CollectionsMarshal.GetValueRefOrAddDefault(termCounts, term, out _)++;
            }
            foreach (var weight in weights)
            {
                nonNegative &= weight >= 0;
            }
            row++;
        }, cancellationToken).ConfigureAwait(false);
        if (row % AssignBatch != 0)
        {
            AssignBatchOf(row);
        }
        rows = row;

        var documents = documentKeys.Distinct().Order().ToArray();
        var termIds = termCounts.Keys.Order().ToArray();
        var header = new IndexFileHeader
        {
            Dimensions = dimensions,
            Rows = rows,
            Lists = lists,
            Documents = documents.Length,
            Terms = termIds.Length,
            Postings = termCounts.Values.Sum(c => (long)c),
            Blocks = termCounts.Values.Sum(c => PostingBlocks.For(c)),
            StoreId = storeId,
            MaxChunkRowId = maxRowId,
            ChangeSequence = changeSequence,
            NonNegativeWeights = nonNegative,
        };
        using var writer = new IndexFileWriter(temporaryPath, header);
        chunkRowIds.AsSpan(0, rows).CopyTo(writer.Span<long>(IndexSection.ChunkRowIds, 0, rows));
        WriteDocuments(writer, documents, documentKeys.AsSpan(0, rows));
        WriteLists(writer, partition, quantizer, listOfRow.AsSpan(0, rows), dimensions);
        nibbles.Lows.CopyTo(writer.Span<float>(IndexSection.NibbleLows, 0, dimensions));
        nibbles.Steps.CopyTo(writer.Span<float>(IndexSection.NibbleSteps, 0, dimensions));
        var termStarts = WriteTermTable(writer, termIds, termCounts);

        // Pass 2: codes and postings, in place.
        var positions = writer.Span<int>(IndexSection.RowPositions, 0, rows).ToArray();
        var termIndex = new Dictionary<uint, int>(termIds.Length);
        for (var t = 0; t < termIds.Length; t++)
        {
            termIndex[termIds[t]] = t;
        }
        var filled = new long[termIds.Length];
        var maxWeights = new float[termIds.Length];
        Array.Fill(maxWeights, float.NegativeInfinity);
        var codes = new sbyte[dimensions];
        var stride = nibbles.Stride;
        row = 0;
        await ScanAsync(snapshot, dimensions, (chunkRowId, _, vectorBytes, sparseBytes) =>
        {
            if (row >= rows || chunkRowIds[row] != chunkRowId)
            {
                throw new InvalidOperationException("The chunks changed within one read transaction.");
            }
            BlobCodec.DecodeVector(vectorBytes, vector);
            DenseIndex.Normalize(vector, normalized);
            quantizer.Encode(normalized, codes);
            codes.CopyTo(writer.Span<sbyte>(IndexSection.Codes, (long)positions[row] * dimensions, dimensions));
            nibbles.Encode(normalized, writer.Span<byte>(IndexSection.Nibbles, (long)positions[row] * stride, stride));
            var terms = ReadTerms(sparseBytes, out var weights);
            for (var i = 0; i < terms.Length; i++)
            {
                var t = termIndex[terms[i]];
                var at = termStarts[t] + filled[t]++;
                writer.Span<int>(IndexSection.PostingRows, at, 1)[0] = row;
                writer.Span<float>(IndexSection.PostingWeights, at, 1)[0] = weights[i];
                maxWeights[t] = Math.Max(maxWeights[t], weights[i]);
            }
            row++;
        }, cancellationToken).ConfigureAwait(false);
        maxWeights.CopyTo(writer.Span<float>(IndexSection.TermMaxWeights, 0, termIds.Length));
        WriteBlocks(writer, termStarts, header.Blocks);
        cancellationToken.ThrowIfCancellationRequested();
        writer.Commit(path);
    }

    private static async Task<(int Rows, long MaxRowId)> CountAsync(SqliteTransaction snapshot, CancellationToken cancellationToken)
    {
        await using var command = snapshot.Connection!.CreateCommand();
        command.Transaction = snapshot;
        command.CommandText = "SELECT COUNT(*), IFNULL(MAX(rowid), 0) FROM chunks";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (checked((int)reader.GetInt64(0)), reader.GetInt64(1));
    }

    /// <summary>Unit vectors of about <paramref name="size"/> chunks picked at random (by rowid, so no full scan), row after row.</summary>
    private static async Task<float[]> SampleAsync(SqliteTransaction snapshot, int dimensions, int rows, long maxRowId, int size, CancellationToken cancellationToken)
    {
        var random = new Random(Seed);
        var wanted = new HashSet<long>();
        // Deleted chunks leave holes in the rowids: ask for more ids in proportion.
        var ask = (int)Math.Min(maxRowId, (long)Math.Ceiling(size * (double)maxRowId / Math.Max(1, rows) * 1.1));
        if (ask >= maxRowId * 0.7)
        {
            for (long id = 1; id <= maxRowId; id++)
            {
                wanted.Add(id);
            }
        }
        else
        {
            while (wanted.Count < ask)
            {
                wanted.Add(1 + random.NextInt64(maxRowId));
            }
        }
        var sample = new List<float>(size * dimensions);
        var vector = new float[dimensions];
        var normalized = new float[dimensions];
        foreach (var batch in wanted.Order().Chunk(500))
        {
            await using var command = snapshot.Connection!.CreateCommand();
            command.Transaction = snapshot;
            command.CommandText = $"SELECT rowid, vector FROM chunks WHERE rowid IN ({string.Join(", ", batch.Select(id => id.ToString(CultureInfo.InvariantCulture)))})";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var bytes = (byte[])reader.GetValue(1);
                IndexChangeLog.CheckVector(snapshot.Connection, reader.GetInt64(0), bytes.Length, dimensions);
                BlobCodec.DecodeVector(bytes, vector);
                DenseIndex.Normalize(vector, normalized);
                sample.AddRange(normalized);
            }
        }
        // Taking every row of a small store gives more than asked: thin it evenly.
        var taken = sample.Count / dimensions;
        if (taken <= size)
        {
            return [.. sample];
        }
        var thinned = new float[size * dimensions];
        for (var i = 0; i < size; i++)
        {
            sample.CopyTo((int)((long)i * taken / size) * dimensions, thinned, i * dimensions, dimensions);
        }
        return thinned;
    }

    /// <summary>Reads every chunk in rowid order, handing over the raw vector and sparse bytes (buffers reused between rows).</summary>
    private static async Task ScanAsync(SqliteTransaction snapshot, int dimensions, ScanRow onRow, CancellationToken cancellationToken)
    {
        await using var command = snapshot.Connection!.CreateCommand();
        command.Transaction = snapshot;
        command.CommandText = "SELECT rowid, doc_key, vector, sparse FROM chunks ORDER BY rowid";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var vector = new byte[dimensions * sizeof(float)];
        var sparse = new byte[4096];
        var count = 0;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var chunkRowId = reader.GetInt64(0);
            var vectorLength = reader.GetBytes(2, 0, null, 0, 0);
            IndexChangeLog.CheckVector(snapshot.Connection, chunkRowId, vectorLength, dimensions);
            reader.GetBytes(2, 0, vector, 0, vector.Length);
            var sparseLength = (int)reader.GetBytes(3, 0, null, 0, 0);
            if (sparseLength > sparse.Length)
            {
                sparse = new byte[sparseLength];
            }
            reader.GetBytes(3, 0, sparse, 0, sparseLength);
            onRow(chunkRowId, reader.GetInt64(1), vector, sparse.AsSpan(0, sparseLength));
            if (++count % 8192 == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    private delegate void ScanRow(long chunkRowId, long documentKey, ReadOnlySpan<byte> vector, ReadOnlySpan<byte> sparse);

    /// <summary>The term ids and weights of a sparse blob (see <see cref="BlobCodec"/>), without copying.</summary>
    private static ReadOnlySpan<uint> ReadTerms(ReadOnlySpan<byte> sparse, out ReadOnlySpan<float> weights)
    {
        var count = (int)BinaryPrimitives.ReadUInt32LittleEndian(sparse);
        weights = MemoryMarshal.Cast<byte, float>(sparse.Slice(sizeof(uint) * (1 + count), sizeof(float) * count));
        return MemoryMarshal.Cast<byte, uint>(sparse.Slice(sizeof(uint), sizeof(uint) * count));
    }

    private static void WriteDocuments(IndexFileWriter writer, long[] documents, ReadOnlySpan<long> documentKeys)
    {
        var rows = documentKeys.Length;
        documents.CopyTo(writer.Span<long>(IndexSection.DocumentKeys, 0, documents.Length));
        var rowDocuments = writer.Span<int>(IndexSection.RowDocuments, 0, rows);
        var starts = new int[documents.Length + 1];
        for (var row = 0; row < rows; row++)
        {
            rowDocuments[row] = Array.BinarySearch(documents, documentKeys[row]);
            starts[rowDocuments[row] + 1]++;
        }
        for (var d = 0; d < documents.Length; d++)
        {
            starts[d + 1] += starts[d];
        }
        starts.CopyTo(writer.Span<int>(IndexSection.DocumentRowStarts, 0, starts.Length));
        var documentRows = writer.Span<int>(IndexSection.DocumentRows, 0, rows);
        var filled = starts[..^1];
        for (var row = 0; row < rows; row++)
        {
            documentRows[filled[rowDocuments[row]]++] = row;
        }
    }

    private static void WriteLists(IndexFileWriter writer, ListPartition partition, ScalarQuantizer quantizer, ReadOnlySpan<int> listOfRow, int dimensions)
    {
        var rows = listOfRow.Length;
        var lists = partition.Lists;
        partition.Centroids.CopyTo(writer.Span<float>(IndexSection.Centroids, 0, lists * dimensions));
        quantizer.Offsets.CopyTo(writer.Span<float>(IndexSection.QuantizerOffsets, 0, dimensions));
        quantizer.Steps.CopyTo(writer.Span<float>(IndexSection.QuantizerSteps, 0, dimensions));
        var starts = new int[lists + 1];
        foreach (var list in listOfRow)
        {
            starts[list + 1]++;
        }
        for (var l = 0; l < lists; l++)
        {
            starts[l + 1] += starts[l];
        }
        starts.CopyTo(writer.Span<int>(IndexSection.ListStarts, 0, starts.Length));
        var positionRows = writer.Span<int>(IndexSection.PositionRows, 0, rows);
        var positionDocuments = writer.Span<int>(IndexSection.PositionDocuments, 0, rows);
        var rowPositions = writer.Span<int>(IndexSection.RowPositions, 0, rows);
        var rowDocuments = writer.Span<int>(IndexSection.RowDocuments, 0, rows);
        var filled = starts[..^1];
        for (var row = 0; row < rows; row++)
        {
            var position = filled[listOfRow[row]]++;
            positionRows[position] = row;
            positionDocuments[position] = rowDocuments[row];
            rowPositions[row] = position;
        }
    }

    /// <summary>Cuts each long postings list (now in place) into blocks and writes every block's last row and largest weight.</summary>
    private static void WriteBlocks(IndexFileWriter writer, long[] termStarts, int blocks)
    {
        var terms = termStarts.Length - 1;
        var blockStarts = writer.Span<int>(IndexSection.TermBlockStarts, 0, terms + 1);
        var lastRows = writer.Span<int>(IndexSection.BlockLastRows, 0, blocks);
        var maxima = writer.Span<float>(IndexSection.BlockMaxWeights, 0, blocks);
        var block = 0;
        for (var t = 0; t < terms; t++)
        {
            blockStarts[t] = block;
            var length = termStarts[t + 1] - termStarts[t];
            if (PostingBlocks.For(length) == 0)
            {
                continue;
            }
            for (var first = 0L; first < length; first += PostingBlocks.Size, block++)
            {
                var count = (int)Math.Min(PostingBlocks.Size, length - first);
                lastRows[block] = writer.Span<int>(IndexSection.PostingRows, termStarts[t] + first + count - 1, 1)[0];
                maxima[block] = TensorPrimitives.Max(writer.Span<float>(IndexSection.PostingWeights, termStarts[t] + first, count));
            }
        }
        blockStarts[terms] = block;
    }

    /// <summary>Writes the sorted term ids and where each one's postings start; returns the starts.</summary>
    private static long[] WriteTermTable(IndexFileWriter writer, uint[] termIds, Dictionary<uint, int> termCounts)
    {
        termIds.CopyTo(writer.Span<uint>(IndexSection.Terms, 0, termIds.Length));
        var starts = new long[termIds.Length + 1];
        for (var t = 0; t < termIds.Length; t++)
        {
            starts[t + 1] = starts[t] + termCounts[termIds[t]];
        }
        starts.CopyTo(writer.Span<long>(IndexSection.TermStarts, 0, starts.Length));
        return starts;
    }
}
