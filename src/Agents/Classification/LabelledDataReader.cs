using System.Text;
using System.Text.Json;

namespace KnowledgeQa.Agents.Classification;

/// <summary>
/// Reads labelled texts from JSONL (one object per line with "text" and "label") or CSV/TSV (a header
/// row with "text" and "label" columns, RFC 4180 quoting). Errors name the file and line.
/// </summary>
public static class LabelledDataReader
{
    public static async Task<IReadOnlyList<LabelledText>> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(path)) throw new LabelledDataException(path, 0, "no such file.");
        var extension = Path.GetExtension(path).ToLowerInvariant();
        var content = await File.ReadAllTextAsync(path, Encoding.UTF8, cancellationToken).ConfigureAwait(false);
        var data = extension switch
        {
            ".jsonl" or ".ndjson" or ".json" => ReadJsonLines(path, content),
            ".csv" => ReadDelimited(path, content, ','),
            ".tsv" => ReadDelimited(path, content, '\t'),
            _ => throw new LabelledDataException(path, 0, $"unknown file type '{extension}'; use .jsonl (text, label per line) or .csv (text,label header)."),
        };
        if (data.Count == 0) throw new LabelledDataException(path, 0, "the file holds no labelled examples.");
        return data;
    }

    /// <summary>Reads the texts of a JSONL file (the "text" field of each line); used for batch classification and clustering.</summary>
    public static async Task<IReadOnlyList<string>> ReadTextsAsync(string path, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(path)) throw new LabelledDataException(path, 0, "no such file.");
        var texts = new List<string>();
        var lineNumber = 0;
        foreach (var line in await File.ReadAllLinesAsync(path, Encoding.UTF8, cancellationToken).ConfigureAwait(false))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            texts.Add(ParseJsonLine(path, lineNumber, line, needLabel: false).Text);
        }
        return texts;
    }

    private static List<LabelledText> ReadJsonLines(string path, string content)
    {
        var result = new List<LabelledText>();
        var lineNumber = 0;
        foreach (var line in content.Split('\n'))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            result.Add(ParseJsonLine(path, lineNumber, line, needLabel: true));
        }
        return result;
    }

    private static LabelledText ParseJsonLine(string path, int lineNumber, string line, bool needLabel)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(line); }
        catch (JsonException e) { throw new LabelledDataException(path, lineNumber, $"not a JSON object ({e.Message})."); }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new LabelledDataException(path, lineNumber, "each line must be a JSON object.");
            if (!root.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(text.GetString()))
                throw new LabelledDataException(path, lineNumber, "missing or empty \"text\" field.");
            string label = "";
            if (needLabel)
            {
                if (!root.TryGetProperty("label", out var l) || l.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
                    throw new LabelledDataException(path, lineNumber, "missing \"label\" field (a string or a number).");
                label = (l.ValueKind == JsonValueKind.String ? l.GetString()! : l.GetRawText()).Trim();
                if (label.Length == 0) throw new LabelledDataException(path, lineNumber, "empty \"label\".");
            }
            return new LabelledText(text.GetString()!, label);
        }
    }

    private static List<LabelledText> ReadDelimited(string path, string content, char delimiter)
    {
        var rows = ParseDelimited(content, delimiter).ToList();
        if (rows.Count == 0) throw new LabelledDataException(path, 1, "empty file; the first row must be a header with text and label columns.");
        var header = rows[0].Fields.Select(h => h.Trim().TrimStart('\uFEFF').ToLowerInvariant()).ToList();
        int textColumn = header.IndexOf("text"), labelColumn = header.IndexOf("label");
        if (textColumn < 0 || labelColumn < 0)
            throw new LabelledDataException(path, 1, $"the header must name a 'text' and a 'label' column; found: {string.Join(", ", header)}.");
        var result = new List<LabelledText>();
        foreach (var (line, fields) in rows.Skip(1))
        {
            if (fields.Count == 1 && string.IsNullOrWhiteSpace(fields[0])) continue;
            if (fields.Count <= Math.Max(textColumn, labelColumn))
                throw new LabelledDataException(path, line, $"expected {header.Count} columns, found {fields.Count}.");
            var text = fields[textColumn];
            var label = fields[labelColumn].Trim();
            if (string.IsNullOrWhiteSpace(text)) throw new LabelledDataException(path, line, "empty text.");
            if (label.Length == 0) throw new LabelledDataException(path, line, "empty label.");
            result.Add(new LabelledText(text, label));
        }
        return result;
    }

    /// <summary>RFC 4180 records: quoted fields may hold delimiters, doubled quotes and line breaks.</summary>
    private static IEnumerable<(int Line, List<string> Fields)> ParseDelimited(string content, char delimiter)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var recordStart = 1;
        var inQuotes = false;
        for (var i = 0; i < content.Length; i++)
        {
            var c = content[i];
            if (inQuotes)
            {
                if (c == '"' && i + 1 < content.Length && content[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') inQuotes = false;
                else { if (c == '\n') line++; field.Append(c); }
                continue;
            }
            if (c == '"' && field.Length == 0) inQuotes = true;
            else if (c == delimiter) { fields.Add(field.ToString()); field.Clear(); }
            else if (c == '\n' || c == '\r')
            {
                if (c == '\r' && i + 1 < content.Length && content[i + 1] == '\n') i++;
                fields.Add(field.ToString());
                field.Clear();
                yield return (recordStart, fields);
                fields = [];
                line++;
                recordStart = line;
            }
            else field.Append(c);
        }
        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            yield return (recordStart, fields);
        }
    }
}
