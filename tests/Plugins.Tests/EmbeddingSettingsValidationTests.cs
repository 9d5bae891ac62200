using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Retrieval;

namespace KnowledgeQa.Plugins.Tests;

/// <summary>The embedding batch limits of the settings tree are checked before a model is loaded, naming the setting.</summary>
public class EmbeddingSettingsValidationTests
{
    [Theory]
    [InlineData(0, 4096, "Embedding.BatchSize")]
    [InlineData(16, 0, "Embedding.BatchTokens")]
    public void A_batch_limit_below_one_names_the_setting(int batchSize, int batchTokens, string setting)
    {
        var options = new KnowledgeQaOptions();
        options.Embedding.BatchSize = batchSize;
        options.Embedding.BatchTokens = batchTokens;

        Assert.Contains(setting, Assert.Throws<InvalidOptionException>(options.Validate).Message);
    }

    [Fact]
    public void The_default_batch_limits_are_valid() => new KnowledgeQaOptions().Validate();
}
