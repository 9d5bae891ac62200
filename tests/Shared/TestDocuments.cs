namespace KnowledgeQa.Tests;

/// <summary>Two small documents the server and MCP tests ingest and then ask about.</summary>
public static class TestDocuments
{
    public const string BatteryText = "# Battery\n\nA full charge of the battery takes 4.5 hours with the supplied charger.\n";
    public const string WarrantyText = "# Warranty\n\nThe warranty covers manufacturing defects for two years from the date of purchase.\n";
}
