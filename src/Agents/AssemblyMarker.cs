namespace KnowledgeQa.Agents; internal static class AssemblyMarker { }
