using System.Buffers;
using System.Collections.Frozen;
using System.Text;

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>A byte order mark and the encoding it announces.</summary>
internal sealed record Bom(Encoding Encoding, int Length);

/// <summary>Text decoded from bytes, with the name of the encoding that was used.</summary>
internal sealed record DecodedText(string Text, string EncodingName);

/// <summary>Bytes that are not text in any encoding we accept; the message is the reason.</summary>
internal class TextDecodingException(string reason) : Exception(reason);

/// <summary>
/// Turns bytes into text without mojibake: a BOM wins, then strict UTF-8, then the legacy Chinese
/// encodings Big5 and GB18030, chosen by which decoding yields common Chinese characters. Anything
/// else is refused with a reason rather than decoded into nonsense.
/// </summary>
internal static class TextDecoder
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    static TextDecoder() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>
    /// Characters of GB2312 level 1 and Big5 level 1 (the common hanzi of each standard) and CJK
    /// punctuation. Real Chinese text decoded with the right encoding is made almost only of
    /// these; decoded with the wrong one it scatters into rare characters and private-use codes.
    /// </summary>
    private static readonly Lazy<FrozenSet<char>> CommonChinese = new(BuildCommonChinese);

    public static Encoding ResolveEncoding(string name)
    {
        try
        {
            return Encoding.GetEncoding(name.Trim(), EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
        }
        catch (ArgumentException)
        {
            throw new InvalidOptionException(
                $"Unknown text encoding '{name}' (ReaderOptions.EncodingName): use a name such as utf-8, utf-16, big5 or gb18030.");
        }
    }

    public static Bom? DetectBom(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            return new Bom(StrictUtf8, 3);
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE, 0x00, 0x00]))
            return new Bom(new UTF32Encoding(bigEndian: false, byteOrderMark: false, throwOnInvalidCharacters: true), 4);
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFE, 0xFF]))
            return new Bom(new UTF32Encoding(bigEndian: true, byteOrderMark: false, throwOnInvalidCharacters: true), 4);
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
            return new Bom(new UnicodeEncoding(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: true), 2);
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
            return new Bom(new UnicodeEncoding(bigEndian: true, byteOrderMark: false, throwOnInvalidBytes: true), 2);
        return null;
    }

    /// <summary>UTF-16 without a BOM shows as a NUL in every other byte when the text is mostly ASCII.</summary>
    public static Encoding? LooksLikeUtf16WithoutBom(ReadOnlySpan<byte> bytes)
    {
        int pairs = bytes.Length / 2;
        if (pairs < 2)
            return null;
        int evenZeros = 0, oddZeros = 0;
        for (int i = 0; i + 1 < bytes.Length; i += 2)
        {
            if (bytes[i] == 0) evenZeros++;
            if (bytes[i + 1] == 0) oddZeros++;
        }
        if (oddZeros >= pairs * 0.4 && evenZeros <= pairs * 0.05)
            return new UnicodeEncoding(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: true);
        if (evenZeros >= pairs * 0.4 && oddZeros <= pairs * 0.05)
            return new UnicodeEncoding(bigEndian: true, byteOrderMark: false, throwOnInvalidBytes: true);
        return null;
    }

    /// <summary>
    /// Decodes a seekable stream from its position into <paramref name="sink"/>, piece by piece: the
    /// text is never held twice and the sink can stop a text that passes its limit after reading little
    /// more than that. Detection: a BOM, then UTF-16 without one (judged by the first 64 KB), strict
    /// UTF-8, then (rereading the stream, never holding it whole) a Big5 / GB18030 vote. Returns the
    /// encoding's name.
    /// </summary>
    /// <exception cref="TextDecodingException">The bytes are not text in any accepted encoding.</exception>
    public static async Task<string> DecodeAsync(Stream stream, string? forcedEncodingName, TextSink sink, CancellationToken cancellationToken)
    {
        var start = stream.Position;
        if (forcedEncodingName is not null)
        {
            var forced = ResolveEncoding(forcedEncodingName);
            var preamble = forced.Preamble.ToArray();
            var head = await ReadHeadAsync(stream, start, preamble.Length, cancellationToken).ConfigureAwait(false);
            stream.Position = start + (preamble.Length > 0 && head.AsSpan().StartsWith(preamble) ? preamble.Length : 0);
            await StrictAsync(stream, forced, forcedEncodingName, sink, cancellationToken).ConfigureAwait(false);
            return forcedEncodingName;
        }

        if (DetectBom(await ReadHeadAsync(stream, start, 4, cancellationToken).ConfigureAwait(false)) is { } bom)
        {
            stream.Position = start + bom.Length;
            await StrictAsync(stream, bom.Encoding, bom.Encoding.WebName, sink, cancellationToken).ConfigureAwait(false);
            return bom.Encoding.WebName;
        }
        // UTF-16 is judged by the first 64 KB, so that a long file over the text limit is refused
        // after reading about as much as the limit, not all of it.
        if (LooksLikeUtf16WithoutBom(await ReadHeadAsync(stream, start, PieceBytes, cancellationToken).ConfigureAwait(false)) is { } utf16)
        {
            await StrictAsync(stream, utf16, utf16.WebName, sink, cancellationToken).ConfigureAwait(false);
            return utf16.WebName;
        }

        long badUtf8At;
        try
        {
            await StrictAsync(stream, StrictUtf8, "utf-8", sink, cancellationToken).ConfigureAwait(false);
            return "utf-8";
        }
        catch (BadBytesException e)
        {
            badUtf8At = e.Offset;
        }

        sink.Clear();
        stream.Position = start;
        if (await ContainsZeroAsync(stream, cancellationToken).ConfigureAwait(false))
            throw new TextDecodingException("binary content (NUL bytes), not text");
        stream.Position = start;
        if (await VoteLegacyChineseAsync(stream, cancellationToken).ConfigureAwait(false) is { } legacy)
        {
            stream.Position = start;
            await StrictAsync(stream, ResolveEncoding(legacy), legacy, sink, cancellationToken).ConfigureAwait(false);
            return legacy;
        }
        throw new TextDecodingException(
            $"not valid UTF-8 (bad byte at offset {badUtf8At}) and not recognisably Big5 or GB18030: " +
            "convert the file to UTF-8, or name its encoding (ReaderOptions.EncodingName)");
    }

    private const int PieceBytes = 64 * 1024;

    private static async Task<byte[]> ReadHeadAsync(Stream stream, long start, int count, CancellationToken cancellationToken)
    {
        var head = new byte[count];
        stream.Position = start;
        var read = await stream.ReadAtLeastAsync(head, count, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        stream.Position = start;
        return head[..read];
    }

    private static async Task<bool> ContainsZeroAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(PieceBytes);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(0, PieceBytes), cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.AsSpan(0, read).Contains((byte)0))
                    return true;
            }
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Decodes the rest of the stream with <paramref name="encoding"/>, refusing any byte it cannot decode.</summary>
    private static async Task StrictAsync(Stream stream, Encoding encoding, string name, TextSink sink, CancellationToken cancellationToken)
    {
        var strict = (Encoding)encoding.Clone();
        strict.DecoderFallback = DecoderFallback.ExceptionFallback;
        var decoder = strict.GetDecoder();
        var bytes = ArrayPool<byte>.Shared.Rent(PieceBytes);
        var chars = ArrayPool<char>.Shared.Rent(strict.GetMaxCharCount(PieceBytes));
        long offset = 0;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var read = await stream.ReadAtLeastAsync(bytes.AsMemory(0, PieceBytes), PieceBytes, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                int decoded;
                try
                {
                    decoded = decoder.GetChars(bytes, 0, read, chars, 0, flush: read == 0);
                }
                catch (DecoderFallbackException e)
                {
                    throw new BadBytesException(name, Math.Max(0, offset + e.Index));
                }
                sink.Append(chars.AsSpan(0, decoded));
                if (read == 0)
                    break;
                offset += read;
            }
            sink.Complete();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>GB18030 or Big5, when the stream decodes in it to common Chinese clearly better than in the other.</summary>
    private static async Task<string?> VoteLegacyChineseAsync(Stream stream, CancellationToken cancellationToken)
    {
        var start = stream.Position;
        var gb = new CommonChineseShare();
        var big5 = new CommonChineseShare();
        double gbScore = await ScoreAsync("gb18030", gb).ConfigureAwait(false);
        stream.Position = start;
        double big5Score = await ScoreAsync("big5", big5).ConfigureAwait(false);
        // Real text scores near 1 in its own encoding; the wrong decoding of the same bytes
        // lands well below. Demand both a high score and a clear margin before trusting it.
        const double minScore = 0.8, minMargin = 0.15;
        if (gbScore >= minScore && gbScore - big5Score >= minMargin)
            return "gb18030";
        if (big5Score >= minScore && big5Score - gbScore >= minMargin)
            return "big5";
        return null;

        async Task<double> ScoreAsync(string name, CommonChineseShare share)
        {
            try
            {
                await StrictAsync(stream, ResolveEncoding(name), name, share, cancellationToken).ConfigureAwait(false);
                return share.Score;
            }
            catch (BadBytesException)
            {
                return 0;
            }
        }
    }

    /// <summary>A byte the encoding cannot decode, at an offset from where decoding began.</summary>
    private sealed class BadBytesException(string encodingName, long offset) : TextDecodingException(
        $"not valid {encodingName} (bad bytes at offset {offset}): check the file's encoding (ReaderOptions.EncodingName)")
    {
        public long Offset { get; } = offset;
    }

    /// <summary>The share of common hanzi and CJK punctuation among the non-ASCII characters of a text.</summary>
    private sealed class CommonChineseShare : TextSink
    {
        private long _nonAscii, _good;

        public double Score => _nonAscii == 0 ? 0 : (double)_good / _nonAscii;

        public override void Append(ReadOnlySpan<char> chars)
        {
            var common = CommonChinese.Value;
            foreach (var c in chars)
            {
                if (c < 0x80)
                    continue;
                _nonAscii++;
                if (common.Contains(c) || IsCjkPunctuation(c))
                    _good++;
            }
        }

        public override void Clear() => (_nonAscii, _good) = (0, 0);

        public override string ToString() => Score.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static bool IsCjkPunctuation(char c) =>
        c is (>= '\u3000' and <= '\u303F') or (>= '\uFF00' and <= '\uFFEF') or (>= '\u2010' and <= '\u206F') or '\u00B7';

    private static FrozenSet<char> BuildCommonChinese()
    {
        var set = new HashSet<char>();
        AddRange(set, Encoding.GetEncoding("gb18030", EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback),
            leads: (0xB0, 0xD7), trails: [(0xA1, 0xFE)]);
        AddRange(set, Encoding.GetEncoding("big5", EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback),
            leads: (0xA4, 0xC6), trails: [(0x40, 0x7E), (0xA1, 0xFE)]);
        return set.ToFrozenSet();
    }

    private static void AddRange(HashSet<char> set, Encoding encoding, (int From, int To) leads, (int From, int To)[] trails)
    {
        Span<byte> pair = stackalloc byte[2];
        Span<char> decoded = stackalloc char[4];
        for (int lead = leads.From; lead <= leads.To; lead++)
        {
            foreach (var (from, to) in trails)
            {
                for (int trail = from; trail <= to; trail++)
                {
                    pair[0] = (byte)lead;
                    pair[1] = (byte)trail;
                    try
                    {
                        if (encoding.GetChars(pair, decoded) == 1 && decoded[0] >= '\u4E00' && decoded[0] <= '\u9FFF')
                            set.Add(decoded[0]);
                    }
                    catch (DecoderFallbackException)
                    {
                        // an unassigned code in the range: not a character of the standard
                    }
                }
            }
        }
    }
}
