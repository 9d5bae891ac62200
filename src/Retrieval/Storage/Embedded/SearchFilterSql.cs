using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>
/// A <see cref="SearchFilter"/> as SQL: a sub-query selecting the keys of the documents that pass,
/// with its parameters. Dense search runs it to get the allowed documents; lexical search embeds it.
/// </summary>
internal sealed class SearchFilterSql
{
    private readonly List<(string Name, object Value)> _parameters = [];

    public SearchFilterSql(SearchFilter filter)
    {
        var conditions = new List<string>();
        if (filter.DocumentIds.Count > 0)
        {
            conditions.Add($"d.id IN ({AddList("f_doc", filter.DocumentIds)})");
        }
        if (filter.Tenant is not null)
        {
            conditions.Add($"d.tenant = {Add("f_tenant", filter.Tenant)}");
        }
        if (filter.Tags.Count > 0)
        {
            conditions.Add($"EXISTS (SELECT 1 FROM document_tags t WHERE t.doc_key = d.doc_key AND t.tag IN ({AddList("f_tag", filter.Tags)}))");
        }
        DocumentKeysQuery = "SELECT d.doc_key FROM documents d" + (conditions.Count > 0 ? " WHERE " + string.Join(" AND ", conditions) : "");
    }

    /// <summary>SELECT of the allowed documents' keys (parameters are named @f_…).</summary>
    public string DocumentKeysQuery { get; }

    public void AddParametersTo(SqliteCommand command)
    {
        foreach (var (name, value) in _parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
    }

    private string Add(string name, object value)
    {
        var parameter = $"@{name}{_parameters.Count}";
        _parameters.Add((parameter, value));
        return parameter;
    }

    /// <summary>
    /// A list as one JSON array parameter read by json_each, not one parameter per value: SQLite finds
    /// a named parameter by a linear scan, so n parameters cost n² (20,000 tags took 43 s).
    /// </summary>
    private string AddList(string name, IEnumerable<string> values) =>
        $"SELECT value FROM json_each({Add(name, JsonSerializer.Serialize(values.Distinct(StringComparer.Ordinal)))})";
}
