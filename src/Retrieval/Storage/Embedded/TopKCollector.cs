namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>
/// Keeps the k best (score, item) pairs seen so far in a min-heap whose root is the worst kept
/// score, so each candidate costs one comparison unless it enters the top k.
/// </summary>
internal sealed class TopKCollector
{
    private readonly float[] _scores;
    private readonly int[] _items;
    private int _count;

    public TopKCollector(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        _scores = new float[k];
        _items = new int[k];
    }

    public int Count => _count;

    /// <summary>How many pairs it keeps at most (the k).</summary>
    public int Capacity => _scores.Length;

    /// <summary>The score a candidate must beat to enter (−∞ until the heap is full).</summary>
    public float Threshold => _count < _scores.Length ? float.NegativeInfinity : _scores[0];

    public void Add(float score, int item)
    {
        if (_count < _scores.Length)
        {
            _scores[_count] = score;
            _items[_count] = item;
            SiftUp(_count++);
        }
        else if (score > _scores[0])
        {
            _scores[0] = score;
            _items[0] = item;
            SiftDown(0);
        }
    }

    /// <summary>The kept pairs, best first; ties keep the smaller item first so results are deterministic.</summary>
    public (int Item, float Score)[] ToSortedArray()
    {
        var result = new (int Item, float Score)[_count];
        for (var i = 0; i < _count; i++)
        {
            result[i] = (_items[i], _scores[i]);
        }
        Array.Sort(result, static (a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : a.Item.CompareTo(b.Item));
        return result;
    }

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            if (_scores[parent] <= _scores[i]) break;
            Swap(i, parent);
            i = parent;
        }
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            var left = 2 * i + 1;
            if (left >= _count) break;
            var smallest = left + 1 < _count && _scores[left + 1] < _scores[left] ? left + 1 : left;
            if (_scores[i] <= _scores[smallest]) break;
            Swap(i, smallest);
            i = smallest;
        }
    }

    private void Swap(int a, int b)
    {
        (_scores[a], _scores[b]) = (_scores[b], _scores[a]);
        (_items[a], _items[b]) = (_items[b], _items[a]);
    }
}
