using System.Text;
using System.Text.Json;

namespace KnowledgeQa.Retrieval.Embeddings;

/// <summary>
/// Turns a Hugging Face tokenizer.json with a WordPiece model into the vocab.txt form BertTokenizer
/// reads (one token per line, the line number is the id), plus the normalizer's settings.
/// </summary>
internal static class TokenizerJsonVocabulary
{
    public static (byte[] Vocabulary, WordPieceSettings Settings) Read(JsonElement root, string file, WordPieceSettings settings)
    {
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
        {
            throw new EmbeddingModelException($"{file} has no \"model\" section; it is not a Hugging Face tokenizer.json.");
        }
        var type = ModelFolderReader.GetString(model, "type");
        if (type != "WordPiece")
        {
            throw new EmbeddingModelException(
                $"{file} describes a {type ?? "unknown"} tokenizer; only WordPiece (BERT-family) models are supported. " +
                "Use a BERT-family model (bge, e5, gte, MiniLM) or add its vocab.txt to the folder.");
        }
        if (!model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
        {
            throw new EmbeddingModelException($"{file} has no WordPiece vocabulary (model.vocab).");
        }

        var tokens = new List<string?>();
        void Place(string token, int id)
        {
            while (tokens.Count <= id)
            {
                tokens.Add(null);
            }
            tokens[id] ??= token;
        }
        foreach (var entry in vocab.EnumerateObject())
        {
            if (entry.Value.TryGetInt32(out var id) && id >= 0)
            {
                Place(entry.Name, id);
            }
        }
        if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
        {
            foreach (var token in added.EnumerateArray())
            {
                if (ModelFolderReader.GetString(token, "content") is { } content
                    && token.TryGetProperty("id", out var idElement) && idElement.TryGetInt32(out var id) && id >= 0)
                {
                    Place(content, id);
                }
            }
        }

        var text = new StringBuilder();
        for (var id = 0; id < tokens.Count; id++)
        {
            // Gaps keep later ids in place; the filler can never match real input.
            text.Append(tokens[id] ?? $"[kqa-unused-{id}]").Append('\n');
        }

        var updated = settings with
        {
            UnknownToken = ModelFolderReader.GetString(model, "unk_token") ?? settings.UnknownToken,
            ContinuingSubwordPrefix = ModelFolderReader.GetString(model, "continuing_subword_prefix") ?? settings.ContinuingSubwordPrefix,
            MaxInputCharsPerWord = ModelFolderReader.GetInt(model, "max_input_chars_per_word") ?? settings.MaxInputCharsPerWord,
        };
        if (FindBertNormalizer(root) is { } normalizer)
        {
            updated = updated with
            {
                LowerCase = ModelFolderReader.GetBool(normalizer, "lowercase") ?? updated.LowerCase,
                StripAccents = ModelFolderReader.GetBool(normalizer, "strip_accents") ?? updated.StripAccents,
                TokenizeChineseChars = ModelFolderReader.GetBool(normalizer, "handle_chinese_chars") ?? updated.TokenizeChineseChars,
            };
        }
        return (Encoding.UTF8.GetBytes(text.ToString()), updated);
    }

    private static JsonElement? FindBertNormalizer(JsonElement root)
    {
        if (!root.TryGetProperty("normalizer", out var normalizer) || normalizer.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        if (ModelFolderReader.GetString(normalizer, "type") == "BertNormalizer")
        {
            return normalizer;
        }
        if (normalizer.TryGetProperty("normalizers", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in list.EnumerateArray())
            {
                if (ModelFolderReader.GetString(item, "type") == "BertNormalizer")
                {
                    return item;
                }
            }
        }
        return null;
    }
}
