using JiebaNet.Segmenter;

namespace KnowledgeQa.Retrieval.Lexical;

/// <summary>
/// Splits runs of Han characters into words with jieba.NET. jieba.NET finds its dictionary
/// through a process-wide setting (ConfigManager.ConfigFileBaseDir, defaulting to "Resources"
/// under the application folder or an appSettings entry) and its package does not copy the files
/// anywhere, so this class points it at the folder our project file copies them to, and checks
/// the files are there before jieba.NET's static initialisers fail with a TypeInitializationException.
/// </summary>
internal static class ChineseWordSegmenter
{
    /// <summary>The output sub-folder the KnowledgeQa.Retrieval project file copies the dictionary to.</summary>
    public const string DictionaryFolderName = "jieba";

    private static readonly string[] RequiredFiles = ["dict.txt", "prob_trans.json", "prob_emit.json"];
    private static readonly Lock Gate = new();
    private static JiebaSegmenter? _segmenter;
    private static string? _loadedDirectory;

    /// <summary>Whether jieba's dictionary is in memory: only once Chinese text was segmented (the start-up benchmark checks an English question never loads it).</summary>
    internal static bool IsLoaded => Volatile.Read(ref _segmenter) is not null;

    /// <summary>jieba's words of a run of Han characters (no search-mode sub-words, HMM for unknown words).</summary>
    public static IEnumerable<string> Cut(string hanRun, string? dictionaryDirectory) =>
        GetSegmenter(dictionaryDirectory).Cut(hanRun, cutAll: false, hmm: true);

    /// <summary>Whether jieba's dictionary holds the word; false for the words its HMM makes up from single characters.</summary>
    public static bool IsDictionaryWord(string word, string? dictionaryDirectory)
    {
        GetSegmenter(dictionaryDirectory);
        return WordDictionary.Instance.ContainsWord(word);
    }

    /// <summary>The dictionary file jieba loaded (dict.txt), for readers of the word list itself.</summary>
    public static string DictionaryFile(string? dictionaryDirectory)
    {
        GetSegmenter(dictionaryDirectory);
        return Path.Combine(_loadedDirectory!, "dict.txt");
    }

    private static JiebaSegmenter GetSegmenter(string? dictionaryDirectory)
    {
        var segmenter = Volatile.Read(ref _segmenter);
        if (segmenter is not null)
        {
            return segmenter;
        }
        lock (Gate)
        {
            if (_segmenter is null)
            {
                _loadedDirectory = LocateDictionary(dictionaryDirectory);
                ConfigManager.ConfigFileBaseDir = _loadedDirectory;
                Volatile.Write(ref _segmenter, new JiebaSegmenter());
            }
            return _segmenter;
        }
    }

    private static string LocateDictionary(string? dictionaryDirectory)
    {
        if (dictionaryDirectory is not null)
        {
            EnsureDictionaryIn(dictionaryDirectory);
            return Path.GetFullPath(dictionaryDirectory);
        }
        var candidates = new List<string>
        {
            Path.Combine(AppContext.BaseDirectory, DictionaryFolderName),
        };
        var libraryDirectory = Path.GetDirectoryName(typeof(ChineseWordSegmenter).Assembly.Location);
        if (!string.IsNullOrEmpty(libraryDirectory))
        {
            candidates.Add(Path.Combine(libraryDirectory, DictionaryFolderName));
        }
        // jieba.NET's own default ("Resources" under the application, or the JiebaConfigFileDir appSetting).
        candidates.Add(ConfigManager.ConfigFileBaseDir);
        foreach (var candidate in candidates)
        {
            if (HasDictionary(candidate))
            {
                return candidate;
            }
        }
        throw new KnowledgeQaException(
            $"jieba.NET's dictionary files ({string.Join(", ", RequiredFiles)}) were not found in {string.Join(" or ", candidates.Distinct())}. " +
            "The KnowledgeQa.Retrieval project copies them to the 'jieba' folder of every application that references it; " +
            "if this application was published another way, copy the jieba.NET package's Resources folder there or set Bm25Options.JiebaDictionaryDirectory.");
    }

    /// <summary>Checks a folder given in the options up front, so a wrong one fails whether or not jieba.NET is already loaded.</summary>
    public static void EnsureDictionaryIn(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (!HasDictionary(full))
        {
            throw new InvalidOptionException(
                $"Bm25Options.JiebaDictionaryDirectory '{full}' lacks jieba.NET's dictionary files ({string.Join(", ", RequiredFiles)}). " +
                "Point it at the Resources folder of the jieba.NET package, or leave it unset to use the copy in the application's 'jieba' folder.");
        }
    }

    private static bool HasDictionary(string directory) =>
        RequiredFiles.All(file => File.Exists(Path.Combine(directory, file)));
}
