using System.Text.Json;
using KnowledgeQa.Server;

namespace KnowledgeQa.Cli.Infrastructure;

/// <summary>JSON as kqa prints it: the HTTP API's settings (camelCase, enums as strings, Chinese unescaped), indented.</summary>
public static class CliJson
{
    public static readonly JsonSerializerOptions Options = ServerJson.Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true });

    public static void Write<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Options));
}
