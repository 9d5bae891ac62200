using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace KnowledgeQa.Retrieval.Storage.Embedded.Index;

/// <summary>
/// Scalar quantization of unit vectors to one signed byte per dimension: each dimension has its
/// own offset and step, fitted to the range a sample of the vectors spans, so the 255 levels cover
/// what the data uses (embedding dimensions differ a lot in spread). A query is not quantized to
/// bytes: its products with the steps become 16-bit integers, and ranking by the integer dot
/// product with the codes is ranking by the approximate cosine (the offsets add the same constant
/// to every row). Used to find candidates quickly; the store rescores them exactly.
/// </summary>
internal sealed class ScalarQuantizer
{
    /// <summary>Query weights are scaled to at most this, so 384 products of it with ±127 stay far inside int32.</summary>
    private const int QueryScale = 16383;

    private readonly float[] _offsets;
    private readonly float[] _steps;

    public ScalarQuantizer(float[] offsets, float[] steps)
    {
        if (offsets.Length != steps.Length)
        {
            throw new ArgumentException("Offsets and steps differ in length.", nameof(steps));
        }
        _offsets = offsets;
        _steps = steps;
    }

    public int Dimensions => _offsets.Length;

    public ReadOnlySpan<float> Offsets => _offsets;

    public ReadOnlySpan<float> Steps => _steps;

    /// <summary>Fits the ranges to a sample of unit vectors (rows of <paramref name="sample"/>).</summary>
    public static ScalarQuantizer Fit(ReadOnlySpan<float> sample, int dimensions)
    {
        var rows = sample.Length / dimensions;
        var min = new float[dimensions];
        var max = new float[dimensions];
        Array.Fill(min, float.PositiveInfinity);
        Array.Fill(max, float.NegativeInfinity);
        for (var r = 0; r < rows; r++)
        {
            var row = sample.Slice(r * dimensions, dimensions);
            for (var d = 0; d < dimensions; d++)
            {
                min[d] = Math.Min(min[d], row[d]);
                max[d] = Math.Max(max[d], row[d]);
            }
        }
        var offsets = new float[dimensions];
        var steps = new float[dimensions];
        for (var d = 0; d < dimensions; d++)
        {
            if (rows == 0 || !(max[d] > min[d]))
            {
                // A constant (or unseen) dimension: any step works, the codes are all 0.
                offsets[d] = rows == 0 ? 0 : min[d];
                steps[d] = 1f / 127;
                continue;
            }
            // A little headroom for rows outside the sample; values beyond it are clipped.
            var margin = (max[d] - min[d]) * 0.05f;
            offsets[d] = (max[d] + min[d]) / 2;
            steps[d] = (max[d] - min[d] + 2 * margin) / 254;
        }
        return new ScalarQuantizer(offsets, steps);
    }

    public void Encode(ReadOnlySpan<float> vector, Span<sbyte> codes)
    {
        for (var d = 0; d < _offsets.Length; d++)
        {
            var level = MathF.Round((vector[d] - _offsets[d]) / _steps[d]);
            codes[d] = (sbyte)Math.Clamp(level, -127f, 127f);
        }
    }

    /// <summary>The 16-bit query weights whose dot product with a row's codes ranks rows as the cosine does.</summary>
    public void PrepareQuery(ReadOnlySpan<float> normalizedQuery, Span<short> weights)
    {
        var largest = 0f;
        for (var d = 0; d < _steps.Length; d++)
        {
            largest = Math.Max(largest, Math.Abs(normalizedQuery[d] * _steps[d]));
        }
        var scale = largest > 0 ? QueryScale / largest : 0;
        for (var d = 0; d < _steps.Length; d++)
        {
            weights[d] = (short)MathF.Round(normalizedQuery[d] * _steps[d] * scale);
        }
    }
}

/// <summary>Dot products of signed-byte codes with 16-bit weights, 16 dimensions per AVX2 instruction where available.</summary>
internal static class QuantizedDot
{
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static int Compute(ReadOnlySpan<sbyte> codes, ReadOnlySpan<short> weights)
    {
        var length = codes.Length;
        var i = 0;
        var sum = 0;
        if (Avx2.IsSupported && length >= 32)
        {
            ref var c = ref MemoryMarshal.GetReference(codes);
            ref var w = ref MemoryMarshal.GetReference(weights);
            var first = Vector256<int>.Zero;
            var second = Vector256<int>.Zero;
            // Two accumulators keep two multiply-adds in flight.
            for (; i + 32 <= length; i += 32)
            {
                var low = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref c, (nuint)i));
                var high = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref c, (nuint)(i + 16)));
                first = Avx2.Add(first, Avx2.MultiplyAddAdjacent(low, Vector256.LoadUnsafe(ref w, (nuint)i)));
                second = Avx2.Add(second, Avx2.MultiplyAddAdjacent(high, Vector256.LoadUnsafe(ref w, (nuint)(i + 16))));
            }
            sum = Vector256.Sum(Avx2.Add(first, second));
        }
        for (; i < length; i++)
        {
            sum += codes[i] * weights[i];
        }
        return sum;
    }
}
