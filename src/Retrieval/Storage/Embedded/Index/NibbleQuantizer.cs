using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace KnowledgeQa.Retrieval.Storage.Embedded.Index;

/// <summary>
/// Four bits per dimension: the cheap first pass of a dense search. Each dimension has its own
/// range, fitted to the middle 99% of a sample's values (16 levels spent on outliers would leave
/// too few for the rest; values outside are clipped), so a row takes half the bytes of its
/// <see cref="ScalarQuantizer"/> codes and half the instructions to score. It ranks rows well
/// enough to pick a shortlist that the int8 codes then rank again.
/// </summary>
/// <remarks>
/// Layout: dimensions in blocks of 64, each block 32 bytes; byte j of a block holds dimension j
/// in its low nibble and dimension 32 + j in its high one, so that one mask and one shift give
/// two runs of 32 dimensions in order (dimensions past the last are padded with zeros).
/// </remarks>
internal sealed class NibbleQuantizer
{
    public const int DimensionsPerBlock = 64;
    public const int BytesPerBlock = 32;
    private const int Levels = 15;
    /// <summary>The share of a dimension's sample values left outside its range, half on each side.</summary>
    private const double Clipped = 0.01;

    private readonly float[] _lows;
    private readonly float[] _steps;

    public NibbleQuantizer(float[] lows, float[] steps)
    {
        if (lows.Length != steps.Length)
        {
            throw new ArgumentException("Lows and steps differ in length.", nameof(steps));
        }
        _lows = lows;
        _steps = steps;
    }

    public int Dimensions => _lows.Length;

    /// <summary>Bytes per row.</summary>
    public int Stride => StrideFor(_lows.Length);

    /// <summary>The value of level 0 in each dimension.</summary>
    public ReadOnlySpan<float> Lows => _lows;

    public ReadOnlySpan<float> Steps => _steps;

    public static int StrideFor(int dimensions) => (dimensions + DimensionsPerBlock - 1) / DimensionsPerBlock * BytesPerBlock;

    /// <summary>Query weights are laid out as the dimensions, padded to whole blocks.</summary>
    public static int WeightsFor(int dimensions) => StrideFor(dimensions) * 2;

    /// <summary>Fits the ranges to a sample of unit vectors (rows of <paramref name="sample"/>).</summary>
    public static NibbleQuantizer Fit(ReadOnlySpan<float> sample, int dimensions)
    {
        var rows = sample.Length / dimensions;
        var lows = new float[dimensions];
        var steps = new float[dimensions];
        var column = new float[rows];
        for (var d = 0; d < dimensions; d++)
        {
            for (var r = 0; r < rows; r++)
            {
                column[r] = sample[r * dimensions + d];
            }
            Array.Sort(column);
            var low = rows == 0 ? 0 : column[(int)(rows * Clipped / 2)];
            var high = rows == 0 ? 0 : column[Math.Min(rows - 1, (int)(rows * (1 - Clipped / 2)))];
            lows[d] = low;
            // A constant (or unseen) dimension: any step works, the codes are all 0.
            steps[d] = high > low ? (high - low) / Levels : 1f / Levels;
        }
        return new NibbleQuantizer(lows, steps);
    }

    /// <summary>Writes a unit vector's codes (<see cref="Stride"/> bytes).</summary>
    public void Encode(ReadOnlySpan<float> vector, Span<byte> packed)
    {
        packed[..Stride].Clear();
        for (var d = 0; d < _lows.Length; d++)
        {
            var level = (byte)Math.Clamp(MathF.Round((vector[d] - _lows[d]) / _steps[d]), 0f, Levels);
            var (at, high) = Place(d);
            packed[at] |= high ? (byte)(level << 4) : level;
        }
    }

    /// <summary>The level a row's code holds for one dimension (tests and diagnostics).</summary>
    public static int Level(ReadOnlySpan<byte> packed, int dimension)
    {
        var (at, high) = Place(dimension);
        return high ? packed[at] >> 4 : packed[at] & 0x0F;
    }

    /// <summary>The signed-byte query weights (<see cref="WeightsFor"/> of them) whose dot product with the codes ranks rows as the cosine does.</summary>
    public void PrepareQuery(ReadOnlySpan<float> normalizedQuery, Span<sbyte> weights)
    {
        weights.Clear();
        var largest = 0f;
        for (var d = 0; d < _steps.Length; d++)
        {
            largest = Math.Max(largest, Math.Abs(normalizedQuery[d] * _steps[d]));
        }
        // 127, not 128: a pair of products (15 × 127 each) must stay inside the 16-bit sums of the scan.
        var scale = largest > 0 ? 127 / largest : 0;
        for (var d = 0; d < _steps.Length; d++)
        {
            weights[d] = (sbyte)Math.Clamp(MathF.Round(normalizedQuery[d] * _steps[d] * scale), -127f, 127f);
        }
    }

    private static (int Byte, bool High) Place(int dimension)
    {
        var block = dimension / DimensionsPerBlock;
        var within = dimension % DimensionsPerBlock;
        return (block * BytesPerBlock + within % BytesPerBlock, within >= BytesPerBlock);
    }
}

/// <summary>Dot products of 4-bit codes (see <see cref="NibbleQuantizer"/>) with signed-byte weights, 64 dimensions per AVX2 step where available.</summary>
internal static class NibbleDot
{
    /// <summary>Blocks summed in 16 bits before widening: each adds at most 2 × 2 × 15 × 127 = 7,620 per lane, four stay under 32,767.</summary>
    private const int BlocksPer16BitSum = 4;

    /// <summary>
    /// <see cref="Compute"/> for four rows that lie one after another (<paramref name="stride"/> bytes
    /// each), in one pass: each block's query weights are loaded once for the four rows, and the four
    /// sums are reduced together (two rounds of horizontal adds) instead of one full reduction per
    /// row, which cost about as much as a row's multiplies. The scores are exactly Compute's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static Vector128<int> ComputeFour(ref byte rows, int stride, ReadOnlySpan<sbyte> weights)
    {
        if (!Avx2.IsSupported)
        {
            return Vector128.Create(
                Compute(MemoryMarshal.CreateReadOnlySpan(ref rows, stride), weights),
                Compute(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref rows, stride), stride), weights),
                Compute(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref rows, 2 * stride), stride), weights),
                Compute(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref rows, 3 * stride), stride), weights));
        }
        var blocks = stride / NibbleQuantizer.BytesPerBlock;
        ref var w = ref MemoryMarshal.GetReference(weights);
        var mask = Vector256.Create((byte)0x0F);
        var ones = Vector256.Create((short)1);
        var (row1, row2, row3) = ((nuint)stride, (nuint)(2 * stride), (nuint)(3 * stride));
        Vector256<int> total0 = default, total1 = default, total2 = default, total3 = default;
        for (var first = 0; first < blocks; first += BlocksPer16BitSum)
        {
            Vector256<short> sum0 = default, sum1 = default, sum2 = default, sum3 = default;
            var end = Math.Min(blocks, first + BlocksPer16BitSum);
            for (var b = first; b < end; b++)
            {
                var lowWeights = Vector256.LoadUnsafe(ref w, (nuint)(b * NibbleQuantizer.DimensionsPerBlock));
                var highWeights = Vector256.LoadUnsafe(ref w, (nuint)(b * NibbleQuantizer.DimensionsPerBlock + NibbleQuantizer.BytesPerBlock));
                var at = (nuint)(b * NibbleQuantizer.BytesPerBlock);
                sum0 = Avx2.Add(sum0, Block(Vector256.LoadUnsafe(ref rows, at), lowWeights, highWeights, mask));
                sum1 = Avx2.Add(sum1, Block(Vector256.LoadUnsafe(ref rows, at + row1), lowWeights, highWeights, mask));
                sum2 = Avx2.Add(sum2, Block(Vector256.LoadUnsafe(ref rows, at + row2), lowWeights, highWeights, mask));
                sum3 = Avx2.Add(sum3, Block(Vector256.LoadUnsafe(ref rows, at + row3), lowWeights, highWeights, mask));
            }
            total0 = Avx2.Add(total0, Avx2.MultiplyAddAdjacent(sum0, ones));
            total1 = Avx2.Add(total1, Avx2.MultiplyAddAdjacent(sum1, ones));
            total2 = Avx2.Add(total2, Avx2.MultiplyAddAdjacent(sum2, ones));
            total3 = Avx2.Add(total3, Avx2.MultiplyAddAdjacent(sum3, ones));
        }
        // Each 128-bit half ends as [row 0, row 1, row 2, row 3] partial sums; the halves add up to the scores.
        var pairs = Avx2.HorizontalAdd(Avx2.HorizontalAdd(total0, total1), Avx2.HorizontalAdd(total2, total3));
        return Sse2.Add(pairs.GetLower(), pairs.GetUpper());
    }

    /// <summary>One block's 64 products of 4-bit codes and query weights, summed in pairs (16-bit lanes): the step Compute and ComputeFour share.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Block(Vector256<byte> codes, Vector256<sbyte> lowWeights, Vector256<sbyte> highWeights, Vector256<byte> mask)
    {
        var low = Avx2.And(codes, mask);
        var high = Avx2.And(Avx2.ShiftRightLogical(codes.AsUInt16(), 4).AsByte(), mask);
        return Avx2.Add(Avx2.MultiplyAddAdjacent(low, lowWeights), Avx2.MultiplyAddAdjacent(high, highWeights));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static int Compute(ReadOnlySpan<byte> packed, ReadOnlySpan<sbyte> weights)
    {
        var blocks = packed.Length / NibbleQuantizer.BytesPerBlock;
        if (Avx2.IsSupported)
        {
            ref var p = ref MemoryMarshal.GetReference(packed);
            ref var w = ref MemoryMarshal.GetReference(weights);
            var mask = Vector256.Create((byte)0x0F);
            var ones = Vector256.Create((short)1);
            var total = Vector256<int>.Zero;
            for (var first = 0; first < blocks; first += BlocksPer16BitSum)
            {
                var sum = Vector256<short>.Zero;
                var end = Math.Min(blocks, first + BlocksPer16BitSum);
                for (var b = first; b < end; b++)
                {
                    var codes = Vector256.LoadUnsafe(ref p, (nuint)(b * NibbleQuantizer.BytesPerBlock));
                    var lowWeights = Vector256.LoadUnsafe(ref w, (nuint)(b * NibbleQuantizer.DimensionsPerBlock));
                    var highWeights = Vector256.LoadUnsafe(ref w, (nuint)(b * NibbleQuantizer.DimensionsPerBlock + NibbleQuantizer.BytesPerBlock));
                    sum = Avx2.Add(sum, Block(codes, lowWeights, highWeights, mask));
                }
                total = Avx2.Add(total, Avx2.MultiplyAddAdjacent(sum, ones));
            }
            return Vector256.Sum(total);
        }
        var result = 0;
        for (var b = 0; b < blocks; b++)
        {
            for (var j = 0; j < NibbleQuantizer.BytesPerBlock; j++)
            {
                var code = packed[b * NibbleQuantizer.BytesPerBlock + j];
                result += (code & 0x0F) * weights[b * NibbleQuantizer.DimensionsPerBlock + j]
                    + (code >> 4) * weights[b * NibbleQuantizer.DimensionsPerBlock + NibbleQuantizer.BytesPerBlock + j];
            }
        }
        return result;
    }
}
