using System.Globalization;
using KnowledgeQa.Retrieval.Lexical;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Bench;

/// <summary>
/// The lexical peer: SQLite FTS5 with its own bm25() ranking, over the same chunks tokenised by
/// the same analyser (English stems, jieba words and character bigrams), so both rank the same
/// terms. One database per corpus size, cached beside the corpus (each size starts from a copy of
/// the next smaller one).
/// </summary>
internal sealed class Fts5Peer : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Bm25SparseEncoder _encoder = new();

    private Fts5Peer(SqliteConnection connection) => _connection = connection;

    public static async Task<Fts5Peer> OpenOrBuildAsync(string cache, StoreCorpus corpus, int size)
    {
        var path = Path.Combine(cache, $"fts5-{size}.db");
        if (!File.Exists(path))
        {
            var smaller = Directory.GetFiles(cache, "fts5-*.db")
                .Select(f => (File: f, Size: int.Parse(Path.GetFileNameWithoutExtension(f)[5..], CultureInfo.InvariantCulture)))
                .Where(f => f.Size < size).OrderByDescending(f => f.Size).FirstOrDefault();
            var temporary = path + ".tmp";
            File.Delete(temporary);
            if (smaller.File is not null)
            {
                File.Copy(smaller.File, temporary);
            }
            await BuildAsync(temporary, corpus, smaller.Size, size);
            File.Move(temporary, path);
            if (smaller.File is not null)
            {
                // Only the largest size is needed again; at a million chunks each copy is gigabytes.
                File.Delete(smaller.File);
            }
        }
        var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        return new Fts5Peer(connection);
    }

    /// <summary>The best chunks (corpus numbers) by FTS5's bm25 for a question, terms OR-ed.</summary>
    public async Task<List<int>> SearchAsync(string question, int top)
    {
        var terms = _encoder.Tokenize(question).Select(Token).Distinct().ToList();
        if (terms.Count == 0)
        {
            return [];
        }
        await using var command = _connection.CreateCommand();
        command.CommandText = "SELECT rowid FROM chunks WHERE chunks MATCH @query ORDER BY rank LIMIT @top";
        command.Parameters.AddWithValue("@query", string.Join(" OR ", terms.Select(t => $"\"{t}\"")));
        command.Parameters.AddWithValue("@top", top);
        var hits = new List<int>(top);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            hits.Add((int)reader.GetInt64(0) - 1);
        }
        return hits;
    }

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();

    private static async Task BuildAsync(string path, StoreCorpus corpus, int from, int to)
    {
        Console.WriteLine($"   building the FTS5 peer for chunks {from:N0}..{to:N0} once (cached)");
        var encoder = new Bm25SparseEncoder();
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = "PRAGMA journal_mode = OFF; CREATE VIRTUAL TABLE IF NOT EXISTS chunks USING fts5(body, tokenize = 'unicode61 remove_diacritics 0');";
            await create.ExecuteNonQueryAsync();
        }
        await using var transaction = connection.BeginTransaction();
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO chunks (rowid, body) VALUES (@id, @body)";
        var id = insert.Parameters.Add("@id", SqliteType.Integer);
        var body = insert.Parameters.Add("@body", SqliteType.Text);
        var number = from;
        foreach (var batch in corpus.ReadChunks(from, to - from).Chunk(4096))
        {
            var bodies = new string[batch.Length];
            Parallel.For(0, batch.Length, i => bodies[i] = string.Join(' ', encoder.Tokenize(batch[i].Text).Select(Token)));
            foreach (var text in bodies)
            {
                id.Value = ++number;
                body.Value = text;
                await insert.ExecuteNonQueryAsync();
            }
        }
        await transaction.CommitAsync();
    }

    /// <summary>Bigram terms carry a U+0002 prefix that FTS5's tokenizer would split on: spell it as a letter instead.</summary>
    private static string Token(string term) => term.Length > 0 && term[0] == '\u0002' ? "x" + term[1..] : term;
}
