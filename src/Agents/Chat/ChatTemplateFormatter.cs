using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntimeGenAI;

namespace KnowledgeQa.Agents.Chat;

/// <summary>Applies a chat template that ONNX Runtime GenAI does not find by itself (chat_template.jinja).</summary>
internal static class ChatTemplateFormatter
{
    public static string Format(Tokenizer tokenizer, string template, IEnumerable<ChatMessage> messages)
    {
        var json = JsonSerializer.Serialize(
            messages.Where(m => !string.IsNullOrEmpty(m.Text)).Select(m => new Dictionary<string, string>
            {
                ["role"] = m.Role.Value,
                ["content"] = m.Text,
            }));
        return tokenizer.ApplyChatTemplate(template, json, null!, add_generation_prompt: true);
    }
}
