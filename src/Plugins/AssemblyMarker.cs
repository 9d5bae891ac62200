namespace KnowledgeQa.Plugins; internal static class AssemblyMarker { }
