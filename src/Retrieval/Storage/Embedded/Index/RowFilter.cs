using System.Runtime.CompilerServices;

namespace KnowledgeQa.Retrieval.Storage.Embedded.Index;

/// <summary>A fixed-size set of row numbers, one bit each.</summary>
internal sealed class RowBits
{
    private readonly ulong[] _words;

    public RowBits(int rows) => _words = new ulong[(rows + 63) / 64];

    public int Count { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Contains(int row) => (_words[row >> 6] & (1UL << row)) != 0;

    /// <summary>Adds a row; false when it was already there.</summary>
    public bool Add(int row)
    {
        ref var word = ref _words[row >> 6];
        var bit = 1UL << row;
        if ((word & bit) != 0)
        {
            return false;
        }
        word |= bit;
        Count++;
        return true;
    }
}

/// <summary>
/// Which rows of an index file a search may return: not deleted since the file was built, and,
/// when the search is filtered, belonging to an allowed document.
/// </summary>
internal readonly struct RowFilter(RowBits deleted, bool[]? allowedDocuments)
{
    /// <summary>Null when every document is allowed.</summary>
    public bool[]? AllowedDocuments => allowedDocuments;

    /// <summary>Whether every row passes: nothing deleted, no filter (the scan then checks no row).</summary>
    public bool AllowsAll => deleted.Count == 0 && allowedDocuments is null;

    /// <summary>Rows deleted since the file was built.</summary>
    public int DeletedRows => deleted.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Allows(int row, int document) =>
        !deleted.Contains(row) && (allowedDocuments is null || allowedDocuments[document]);
}
