using KnowledgeQa.Retrieval.Lexical.Jieba;

namespace KnowledgeQa.Retrieval.Lexical;

/// <summary>
/// Splits runs of Han characters into words the way jieba does (accurate mode with its hidden Markov
/// model), reading jieba's own dictionary and model files (shipped by the jieba.NET package and
/// copied to a "jieba" folder of every application by our project file). The cut itself is ours
/// (<see cref="JiebaCutter"/>): jieba.NET's loader took about 0.75 CPU-seconds to read the
/// dictionary into 580,000 strings, which a cold Chinese question paid before its first word.
/// </summary>
internal static class ChineseWordSegmenter
{
    /// <summary>The output sub-folder the KnowledgeQa.Retrieval project file copies the dictionary to.</summary>
    public const string DictionaryFolderName = "jieba";

    private static readonly string[] RequiredFiles = ["dict.txt", "prob_trans.json", "prob_emit.json"];
    private static readonly Lock Gate = new();
    private static JiebaCutter? _cutter;

    /// <summary>Whether jieba's dictionary is in memory: only once Chinese text was segmented (the start-up benchmark checks an English question never loads it).</summary>
    internal static bool IsLoaded => Volatile.Read(ref _cutter) is not null;

    /// <summary>jieba's words of a run of Han characters (no search-mode sub-words, HMM for unknown words).</summary>
    public static IEnumerable<string> Cut(string hanRun, string? dictionaryDirectory) =>
        GetCutter(dictionaryDirectory).Cut(hanRun);

    /// <summary>Whether jieba's dictionary holds the word; false for the words its HMM makes up from single characters.</summary>
    public static bool IsDictionaryWord(string word, string? dictionaryDirectory) =>
        GetCutter(dictionaryDirectory).IsDictionaryWord(word);

    /// <summary>The dictionary's two-character words that hold the character, with their frequencies and whether they are names.</summary>
    public static List<(string Word, int Frequency, bool IsName)> TwoCharacterWordsWith(char character, string? dictionaryDirectory) =>
        GetCutter(dictionaryDirectory).TwoCharacterWordsWith(character);

    private static JiebaCutter GetCutter(string? dictionaryDirectory)
    {
        var cutter = Volatile.Read(ref _cutter);
        if (cutter is not null)
        {
            return cutter;
        }
        lock (Gate)
        {
            if (_cutter is null)
            {
                var directory = LocateDictionary(dictionaryDirectory);
                var dictionary = JiebaDictionary.Load(Path.Combine(directory, "dict.txt"));
                Volatile.Write(ref _cutter, new JiebaCutter(
                    dictionary,
                    () => JiebaHmm.Load(Path.Combine(directory, "prob_trans.json"), Path.Combine(directory, "prob_emit.json"))));
            }
            return _cutter;
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
        // jieba.NET's own default folder, for applications that copied its files there themselves.
        candidates.Add(Path.Combine(AppContext.BaseDirectory, "Resources"));
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
