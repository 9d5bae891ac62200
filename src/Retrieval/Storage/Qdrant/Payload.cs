using Google.Protobuf.Collections;
using Qdrant.Client.Grpc;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>Reads typed values out of a Qdrant payload, tolerating absent keys and null values.</summary>
internal static class Payload
{
    public static string? String(MapField<string, Value> payload, string key) =>
        payload.TryGetValue(key, out var value) && value.KindCase == Value.KindOneofCase.StringValue ? value.StringValue : null;

    public static string RequiredString(MapField<string, Value> payload, string key, PointId id) =>
        String(payload, key) ?? throw Malformed(id, key);

    public static long? Integer(MapField<string, Value> payload, string key)
    {
        if (!payload.TryGetValue(key, out var value))
        {
            return null;
        }

        return value.KindCase switch
        {
            Value.KindOneofCase.IntegerValue => value.IntegerValue,
            // JSON-born payloads (e.g. written through the REST API) may carry whole numbers as doubles.
            Value.KindOneofCase.DoubleValue => (long)value.DoubleValue,
            _ => null,
        };
    }

    public static int RequiredInt(MapField<string, Value> payload, string key, PointId id) =>
        (int)(Integer(payload, key) ?? throw Malformed(id, key));

    public static IReadOnlyList<string> Strings(MapField<string, Value> payload, string key)
    {
        if (!payload.TryGetValue(key, out var value))
        {
            return [];
        }

        return value.KindCase switch
        {
            Value.KindOneofCase.ListValue => value.ListValue.Values
                .Where(v => v.KindCase == Value.KindOneofCase.StringValue)
                .Select(v => v.StringValue)
                .ToArray(),
            Value.KindOneofCase.StringValue => [value.StringValue],
            _ => [],
        };
    }

    public static Value List(IEnumerable<string> values)
    {
        var list = new ListValue();
        foreach (var item in values)
        {
            list.Values.Add(new Value { StringValue = item });
        }

        return new Value { ListValue = list };
    }

    public static Value Str(string value) => new() { StringValue = value };

    public static Value Int(long value) => new() { IntegerValue = value };

    private static KnowledgeStoreException Malformed(PointId id, string key) =>
        new($"Qdrant point {QdrantPointIds.Format(id)} lacks the payload field '{key}': the collection was not written by kqa or by an incompatible version. Use another --collection.");
}
