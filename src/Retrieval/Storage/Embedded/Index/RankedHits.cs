namespace KnowledgeQa.Retrieval.Storage.Embedded.Index;

/// <summary>
/// The best k (id, score) pairs seen so far, ordered as search results are: higher score first,
/// then the lower id (the earlier stored chunk), so results are deterministic. A min-heap whose
/// root is the worst kept pair.
/// </summary>
internal sealed class RankedHits
{
    private readonly (long Id, double Score)[] _heap;
    private int _count;

    public RankedHits(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        _heap = new (long, double)[k];
    }

    public int Count => _count;

    public bool IsFull => _count == _heap.Length;

    /// <summary>The score a hit must reach to be kept (−∞ until full).</summary>
    public double Threshold => IsFull ? _heap[0].Score : double.NegativeInfinity;

    /// <summary>Offers a hit; true when it was kept.</summary>
    public bool Add(long id, double score)
    {
        if (_count < _heap.Length)
        {
            _heap[_count] = (id, score);
            SiftUp(_count++);
            return true;
        }
        if (!Worse(_heap[0], (id, score)))
        {
            return false;
        }
        _heap[0] = (id, score);
        SiftDown(0);
        return true;
    }

    /// <summary>The kept hits, best first.</summary>
    public List<(long Id, double Score)> ToRankedList()
    {
        var ranked = new List<(long Id, double Score)>(_count);
        for (var i = 0; i < _count; i++)
        {
            ranked.Add(_heap[i]);
        }
        ranked.Sort(static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Id.CompareTo(b.Id));
        return ranked;
    }

    /// <summary>Whether <paramref name="a"/> ranks below <paramref name="b"/>.</summary>
    private static bool Worse((long Id, double Score) a, (long Id, double Score) b) =>
        a.Score < b.Score || (a.Score == b.Score && a.Id > b.Id);

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            if (!Worse(_heap[i], _heap[parent]))
            {
                break;
            }
            (_heap[i], _heap[parent]) = (_heap[parent], _heap[i]);
            i = parent;
        }
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            var left = 2 * i + 1;
            if (left >= _count)
            {
                break;
            }
            var worst = left + 1 < _count && Worse(_heap[left + 1], _heap[left]) ? left + 1 : left;
            if (!Worse(_heap[worst], _heap[i]))
            {
                break;
            }
            (_heap[i], _heap[worst]) = (_heap[worst], _heap[i]);
            i = worst;
        }
    }
}
