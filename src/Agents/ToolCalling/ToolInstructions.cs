using System.Text;

namespace KnowledgeQa.Agents.ToolCalling;

/// <summary>The texts that teach a model without native tool calling to call tools through JSON.</summary>
internal static class ToolInstructions
{
    /// <summary>The prefix of a tool result turn; the system instruction refers to it.</summary>
    public const string ResultPrefix = "Tool result";

    public static string System(ToolOffer offer)
    {
        var text = new StringBuilder();
        text.AppendLine("You can call tools. To call one, reply with only this JSON object:");
        text.AppendLine("""{"tool":"<tool name>","arguments":{<the tool's arguments>}}""");
        if (offer.AnswerAllowed)
        {
            text.AppendLine("To answer the user, reply with only this JSON object:");
            text.AppendLine("""{"answer":"<your answer>"}""");
        }
        else
        {
            text.AppendLine("You must call a tool now.");
        }

        text.AppendLine("Reply with exactly one JSON object and no other text.");
        text.Append("Call a tool when you need what it provides. The result of a call comes back in a message that starts with \"")
            .Append(ResultPrefix).AppendLine("\".");
        if (offer.AnswerAllowed)
        {
            text.AppendLine("When you have what you need, answer.");
        }

        text.AppendLine();
        text.AppendLine("Tools:");
        foreach (var function in offer.Functions)
        {
            text.Append("- ").Append(function.Name);
            if (!string.IsNullOrWhiteSpace(function.Description))
            {
                text.Append(": ").Append(function.Description.Trim());
            }

            text.AppendLine();
            text.Append("  arguments (JSON schema): ").AppendLine(ToolReplySchema.ArgumentsSchema(function).ToJsonString());
        }

        return text.ToString().TrimEnd();
    }

    public static string Correction(ToolOffer offer, string problem)
    {
        var names = string.Join(", ", offer.Functions.Select(f => f.Name));
        var answer = offer.AnswerAllowed ? """ or {"answer":"<your answer>"}""" : "";
        return $$$"""Your last reply could not be used: {{{problem}}} Reply again with exactly one JSON object, {"tool":"<one of: {{{names}}}>","arguments":{...}}{{{answer}}}, and no other text.""";
    }
}
