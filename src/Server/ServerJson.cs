using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace KnowledgeQa.Server;

/// <summary>JSON on the wire as kqa --json prints it (camelCase, enums as strings, Chinese unescaped), unindented.</summary>
public static class ServerJson
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        // MCP tool schemas are built from these options: they need a resolver before they are frozen.
        options.TypeInfoResolver ??= new DefaultJsonTypeInfoResolver();
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        return options;
    }
}
