using System.Collections.Frozen;
using System.Text;

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>A byte order mark and the encoding it announces.</summary>
internal sealed record Bom(Encoding Encoding, int Length);

/// <summary>Text decoded from bytes, with the name of the encoding that was used.</summary>
internal sealed record DecodedText(string Text, string EncodingName);

/// <summary>Bytes that are not text in any encoding we accept; the message is the reason.</summary>
internal sealed class TextDecodingException(string reason) : Exception(reason);

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

    public static DecodedText Decode(ReadOnlySpan<byte> bytes, string? forcedEncodingName)
    {
        if (forcedEncodingName is not null)
            return DecodeForced(bytes, forcedEncodingName);

        if (DetectBom(bytes) is { } bom)
            return Strict(bytes[bom.Length..], bom.Encoding, bom.Encoding.WebName);
        if (LooksLikeUtf16WithoutBom(bytes) is { } utf16)
            return Strict(bytes, utf16, utf16.WebName);

        int badUtf8At;
        try
        {
            return new DecodedText(StrictUtf8.GetString(bytes), "utf-8");
        }
        catch (DecoderFallbackException e)
        {
            badUtf8At = e.Index;
        }

        if (bytes.IndexOf((byte)0) >= 0)
            throw new TextDecodingException("binary content (NUL bytes), not text");
        return DecodeLegacyChinese(bytes) ?? throw new TextDecodingException(
            $"not valid UTF-8 (bad byte at offset {Math.Max(0, badUtf8At)}) and not recognisably Big5 or GB18030: " +
            "convert the file to UTF-8, or name its encoding (ReaderOptions.EncodingName)");
    }

    private static DecodedText DecodeForced(ReadOnlySpan<byte> bytes, string name)
    {
        var encoding = ResolveEncoding(name);
        var preamble = encoding.Preamble;
        if (!preamble.IsEmpty && bytes.StartsWith(preamble))
            bytes = bytes[preamble.Length..];
        return Strict(bytes, encoding, name);
    }

    private static DecodedText Strict(ReadOnlySpan<byte> bytes, Encoding encoding, string name)
    {
        var strict = (Encoding)encoding.Clone();
        strict.DecoderFallback = DecoderFallback.ExceptionFallback;
        try
        {
            return new DecodedText(strict.GetString(bytes), name);
        }
        catch (DecoderFallbackException e)
        {
            throw new TextDecodingException(
                $"not valid {name} (bad bytes at offset {Math.Max(0, e.Index)}): check the file's encoding (ReaderOptions.EncodingName)");
        }
    }

    private static DecodedText? DecodeLegacyChinese(ReadOnlySpan<byte> bytes)
    {
        var gb = TryStrict(bytes, "gb18030");
        var big5 = TryStrict(bytes, "big5");
        double gbScore = gb is null ? 0 : CommonShare(gb);
        double big5Score = big5 is null ? 0 : CommonShare(big5);
        // Real text scores near 1 in its own encoding; the wrong decoding of the same bytes
        // lands well below. Demand both a high score and a clear margin before trusting it.
        const double minScore = 0.8, minMargin = 0.15;
        if (gbScore >= minScore && gbScore - big5Score >= minMargin)
            return new DecodedText(gb!, "gb18030");
        if (big5Score >= minScore && big5Score - gbScore >= minMargin)
            return new DecodedText(big5!, "big5");
        return null;
    }

    private static string? TryStrict(ReadOnlySpan<byte> bytes, string name)
    {
        try
        {
            return Encoding.GetEncoding(name, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static double CommonShare(string text)
    {
        var common = CommonChinese.Value;
        int nonAscii = 0, good = 0;
        foreach (var c in text)
        {
            if (c < 0x80)
                continue;
            nonAscii++;
            if (common.Contains(c) || IsCjkPunctuation(c))
                good++;
        }
        return nonAscii == 0 ? 0 : (double)good / nonAscii;
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
