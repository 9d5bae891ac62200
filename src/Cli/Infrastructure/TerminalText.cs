using System.Globalization;
using System.Text;

namespace KnowledgeQa.Cli.Infrastructure;

/// <summary>
/// Makes stored strings (document ids, sources, titles, passage and answer text) safe to print to a
/// terminal. They come from files and models, not from the user: a file name holding ESC can clear
/// the screen, retitle the window or forge output, and bidirectional overrides can reorder what is
/// shown. Such characters are printed as visible escapes (<c>\x1B</c>, <c>\u202E</c>) instead.
/// </summary>
public static class TerminalText
{
    /// <summary>One line: every control character escaped, line breaks and tabs included.</summary>
    public static string Line(string? value) => Escape(value, keepLayout: false);

    /// <summary>
    /// Text that may span lines: newlines and tabs kept, carriage returns dropped (a lone one would
    /// overwrite the line, and CRLF prints as LF anyway), every other control character escaped.
    /// </summary>
    public static string Text(string? value) => Escape(value, keepLayout: true);

    private static string Escape(string? value, bool keepLayout)
    {
        if (string.IsNullOrEmpty(value))
            return value ?? "";
        if (!value.Any(c => IsUnsafe(c, keepLayout)))
            return value;
        var builder = new StringBuilder(value.Length + 16);
        foreach (var c in value)
        {
            if (c == '\r' && keepLayout)
                continue;
            if (!IsUnsafe(c, keepLayout))
                builder.Append(c);
            else if (c <= '\u00FF')
                builder.Append(@"\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            else
                builder.Append(@"\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }

    private static bool IsUnsafe(char c, bool keepLayout) => c switch
    {
        '\n' or '\t' => !keepLayout,
        < '\u0020' or '\u007F' => true,             // C0 controls (ESC, BEL, CR, backspace...) and DEL
        >= '\u0080' and <= '\u009F' => true,        // C1 controls (CSI, OSC...)
        '\u061C' or '\u200E' or '\u200F' => true,   // bidirectional marks
        >= '\u202A' and <= '\u202E' => true,        // bidirectional embeddings and overrides
        >= '\u2066' and <= '\u2069' => true,        // bidirectional isolates
        '\u2028' or '\u2029' => true,               // line and paragraph separators
        _ => false,
    };
}
