using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>
/// All chunk vectors in memory for exact cosine search. Vectors are L2-normalised on entry and
/// kept row after row in large float segments (no object per chunk), beside two parallel arrays
/// that map a row to its chunk and document. Segments rather than one array, so that growing the
/// index never copies (and never briefly doubles) the matrix. Not thread-safe: the store guards it.
/// </summary>
internal sealed class DenseIndex
{
    /// <summary>Rows per segment: large enough for long SIMD runs, small enough that the unfilled tail wastes little.</summary>
    internal const int RowsPerSegment = 2048;

    /// <summary>Below this many rows one core is fast enough that fanning out costs more than it saves.</summary>
    private const int ParallelThreshold = 32 * 1024;

    private readonly int _dimensions;
    private readonly List<float[]> _segments = [];
    private readonly Dictionary<long, int> _rowOfChunk;
    private long[] _chunkRowIds;
    private long[] _documentKeys;
    private int _count;

    public DenseIndex(int dimensions, int expectedRows = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        _dimensions = dimensions;
        var capacity = Math.Max(expectedRows, 16);
        _chunkRowIds = new long[capacity];
        _documentKeys = new long[capacity];
        _rowOfChunk = new Dictionary<long, int>(capacity);
    }

    public int Count => _count;

    public int Dimensions => _dimensions;

    /// <summary>Bytes held by the vectors and row maps (for diagnostics and the memory benchmark).</summary>
    public long AllocatedBytes =>
        (long)_segments.Count * RowsPerSegment * _dimensions * sizeof(float)
        + (_chunkRowIds.Length + _documentKeys.Length) * sizeof(long);

    public void Add(long chunkRowId, long documentKey, ReadOnlySpan<float> vector)
    {
        if (vector.Length != _dimensions)
        {
            throw new ArgumentException($"Vector has {vector.Length} dimensions; the index holds {_dimensions}.", nameof(vector));
        }
        if (_rowOfChunk.ContainsKey(chunkRowId))
        {
            Remove(chunkRowId);
        }
        var row = _count;
        if (row / RowsPerSegment == _segments.Count)
        {
            _segments.Add(new float[RowsPerSegment * _dimensions]);
        }
        if (row == _chunkRowIds.Length)
        {
            Array.Resize(ref _chunkRowIds, row * 2);
            Array.Resize(ref _documentKeys, row * 2);
        }
        Normalize(vector, RowSpan(row));
        _chunkRowIds[row] = chunkRowId;
        _documentKeys[row] = documentKey;
        _rowOfChunk[chunkRowId] = row;
        _count++;
    }

    /// <summary>Removes a chunk by moving the last row into its place; false when the chunk is not indexed.</summary>
    public bool Remove(long chunkRowId)
    {
        if (!_rowOfChunk.Remove(chunkRowId, out var row))
        {
            return false;
        }
        var last = _count - 1;
        if (row != last)
        {
            RowSpan(last).CopyTo(RowSpan(row));
            _chunkRowIds[row] = _chunkRowIds[last];
            _documentKeys[row] = _documentKeys[last];
            _rowOfChunk[_chunkRowIds[row]] = row;
        }
        _count--;
        if (_count <= (_segments.Count - 1) * RowsPerSegment)
        {
            _segments.RemoveAt(_segments.Count - 1);
        }
        return true;
    }

    /// <summary>Cosine similarity of one indexed chunk with a normalised query; null when the chunk is not indexed.</summary>
    public float? Score(long chunkRowId, ReadOnlySpan<float> normalizedQuery) =>
        _rowOfChunk.TryGetValue(chunkRowId, out var row) ? TensorPrimitives.Dot(RowSpan(row), normalizedQuery) : null;

    /// <summary>
    /// The <paramref name="top"/> chunks most similar to a normalised query, best first, optionally
    /// only those whose document key is in <paramref name="allowedDocuments"/>.
    /// </summary>
    public (long ChunkRowId, float Score)[] Search(ReadOnlySpan<float> normalizedQuery, int top, IReadOnlySet<long>? allowedDocuments)
    {
        if (normalizedQuery.Length != _dimensions)
        {
            throw new ArgumentException($"Query has {normalizedQuery.Length} dimensions; the index holds {_dimensions}.", nameof(normalizedQuery));
        }
        if (_count == 0 || top <= 0)
        {
            return [];
        }
        TopKCollector collector;
        if (_count < ParallelThreshold || Environment.ProcessorCount == 1)
        {
            collector = new TopKCollector(top);
            ScanSegments(normalizedQuery, 0, _segments.Count, collector, allowedDocuments);
        }
        else
        {
            collector = SearchInParallel(normalizedQuery.ToArray(), top, allowedDocuments);
        }
        return Array.ConvertAll(collector.ToSortedArray(), hit => (_chunkRowIds[hit.Item], hit.Score));
    }

    private TopKCollector SearchInParallel(float[] query, int top, IReadOnlySet<long>? allowedDocuments)
    {
        var workers = Math.Min(Environment.ProcessorCount, _segments.Count);
        var partials = new TopKCollector[workers];
        Parallel.For(0, workers, worker =>
        {
            var first = _segments.Count * worker / workers;
            var end = _segments.Count * (worker + 1) / workers;
            partials[worker] = new TopKCollector(top);
            ScanSegments(query, first, end, partials[worker], allowedDocuments);
        });
        var merged = new TopKCollector(top);
        foreach (var partial in partials)
        {
            foreach (var (row, score) in partial.ToSortedArray())
            {
                merged.Add(score, row);
            }
        }
        return merged;
    }

    // Fully optimised from the first query: the scan is the whole cost of a dense search, and tiering
    // (and its instrumented tier) would leave the first hundreds of queries several times slower.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScanSegments(ReadOnlySpan<float> query, int firstSegment, int endSegment, TopKCollector collector, IReadOnlySet<long>? allowedDocuments)
    {
        var dimensions = _dimensions;
        for (var s = firstSegment; s < endSegment; s++)
        {
            var segment = _segments[s];
            var baseRow = s * RowsPerSegment;
            var rows = Math.Min(RowsPerSegment, _count - baseRow);
            for (var r = 0; r < rows; r++)
            {
                var row = baseRow + r;
                if (allowedDocuments is not null && !allowedDocuments.Contains(_documentKeys[row]))
                {
                    continue;
                }
                var score = TensorPrimitives.Dot(segment.AsSpan(r * dimensions, dimensions), query);
                if (score > collector.Threshold)
                {
                    collector.Add(score, row);
                }
            }
        }
    }

    private Span<float> RowSpan(int row) =>
        _segments[row / RowsPerSegment].AsSpan(row % RowsPerSegment * _dimensions, _dimensions);

    /// <summary>Writes the unit-length version of <paramref name="source"/> (zeros stay zeros).</summary>
    public static void Normalize(ReadOnlySpan<float> source, Span<float> destination)
    {
        var norm = TensorPrimitives.Norm(source);
        if (norm > 0 && float.IsFinite(norm))
        {
            TensorPrimitives.Divide(source, norm, destination);
        }
        else
        {
            destination.Clear();
        }
    }
}
