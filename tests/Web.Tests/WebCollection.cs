namespace KnowledgeQa.Web.Tests;

/// <summary>
/// The browser tests share one browser and one server of each kind, and run one at a time (the
/// build machines have two cores; each test class mutates the knowledge base only with its own documents).
/// </summary>
[CollectionDefinition(Name)]
public sealed class WebCollection : ICollectionFixture<Chromium>, ICollectionFixture<WebAppServer>, ICollectionFixture<GenerativeWebAppServer>
{
    public const string Name = "web app";
}
