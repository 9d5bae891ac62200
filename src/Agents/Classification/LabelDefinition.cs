namespace KnowledgeQa.Agents.Classification;

/// <summary>
/// A label for zero-shot or chat classification, with optional descriptions that say what the label
/// means ("reviews that praise the food or the service"). Several descriptions are averaged into one
/// prototype; with none, the label name is put into the classifier's template.
/// </summary>
public sealed record LabelDefinition
{
    public LabelDefinition(string name, params IReadOnlyList<string> descriptions)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ClassificationException("A label name must not be empty.");
        Name = name.Trim();
        Descriptions = descriptions.Where(d => !string.IsNullOrWhiteSpace(d)).Select(d => d.Trim()).ToArray();
    }

    public string Name { get; }

    public IReadOnlyList<string> Descriptions { get; }

    /// <summary>A label as people write it: "name", or "name=description" (the description may hold commas).</summary>
    public static LabelDefinition Parse(string item) =>
        item.Split('=', 2, StringSplitOptions.TrimEntries) is [var name, var description]
            ? new LabelDefinition(name, description)
            : new LabelDefinition(item.Trim());

    /// <summary>Labels from bare names ("a,b,c" on the command line), each described by the template.</summary>
    public static IReadOnlyList<LabelDefinition> FromNames(IEnumerable<string> names)
        => names.Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => new LabelDefinition(n)).ToArray();

    /// <summary>Checks that a label set is usable: at least two labels, names unique (case-insensitively).</summary>
    internal static IReadOnlyList<LabelDefinition> Validate(IEnumerable<LabelDefinition> labels)
    {
        var list = labels.ToArray();
        if (list.Length < 2)
            throw new ClassificationException($"Classification needs at least two labels; got {list.Length}. Pass them as --labels a,b,c.");
        var duplicate = list.GroupBy(l => l.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ClassificationException($"The label '{duplicate.Key}' is given more than once; label names must be unique.");
        return list;
    }
}
