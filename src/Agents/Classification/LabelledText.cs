namespace KnowledgeQa.Agents.Classification;

/// <summary>A text with its gold label: one training or evaluation example.</summary>
public sealed record LabelledText(string Text, string Label);
