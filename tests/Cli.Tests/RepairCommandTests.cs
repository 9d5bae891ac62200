using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Cli.Tests;

/// <summary>
/// kqa repair through the real kqa program, on a real store file damaged from outside (a document
/// row deleted without foreign keys, as the sqlite3 shell does by default): --dry-run reports and
/// changes nothing, a repair removes the orphans, --json for scripts, one error line without a store.
/// </summary>
public sealed class RepairCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Data => Path.Combine(_folder.Path, "kb");

    private string StorePath => Path.Combine(Data, "knowledge.db");

    public void Dispose() => _folder.Dispose();

    private Task<KqaProcess.Result> Kqa(params string[] args) => KqaProcess.RunAsync(_folder.Path, ["--data", Data, .. args]);

    [Fact]
    public async Task A_dry_run_reports_the_orphans_and_a_repair_removes_them()
    {
        await CreateDamagedStoreAsync();

        var dry = await Kqa("repair", "--dry-run", "--json");
        Assert.True(dry.ExitCode == 0, dry.Stderr);
        Assert.True(dry.Json.GetProperty("dryRun").GetBoolean());
        var orphans = dry.Json.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("check").GetString() == "orphan-chunks");
        Assert.Equal(2, orphans.GetProperty("found").GetInt32());
        Assert.Equal(0, orphans.GetProperty("repaired").GetInt32());
        Assert.Equal(2L, await OrphanCountAsync());

        var repair = await Kqa("repair");
        Assert.True(repair.ExitCode == 0, repair.Stderr);
        Assert.Contains("orphan-chunks", repair.Stdout);
        Assert.Contains("2 found, 2 repaired", repair.Stdout);
        Assert.Equal(0L, await OrphanCountAsync());

        var again = await Kqa("repair");
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("nothing to repair", again.Stdout);
    }

    [Fact]
    public async Task Without_a_store_it_says_so_in_one_line()
    {
        var result = await Kqa("repair");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("kqa: error: no knowledge base at", result.Stderr.Trim());
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.False(File.Exists(StorePath)); // a repair does not create an empty store
    }

    private async Task CreateDamagedStoreAsync()
    {
        await using (var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = StorePath }))
        {
            await store.InitializeAsync(4, "test-model", Ct);
            foreach (var id in new[] { "kept", "deleted" })
            {
                var chunks = Enumerable.Range(0, 2).Select(i => new IndexedChunk(
                    new Chunk { Id = Chunk.CreateId(id, i, $"{id} {i}"), DocumentId = id, Index = i, Text = $"{id} {i}", Start = 0, End = 3 },
                    new float[] { 1, 0, 0, 0 },
                    new SparseVector([1u], [1f]))).ToList();
                await store.UpsertDocumentAsync(new StoredDocument { Id = id, Source = id + ".txt", ContentHash = "h", IngestedAt = DateTimeOffset.UnixEpoch }, chunks, Ct);
            }
        }
        await using var outside = Open(foreignKeys: false);
        await using var damage = outside.CreateCommand();
        damage.CommandText = "DELETE FROM documents WHERE id = 'deleted'";
        await damage.ExecuteNonQueryAsync(Ct);
    }

    private async Task<long> OrphanCountAsync()
    {
        await using var connection = Open(foreignKeys: true);
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM chunks WHERE doc_key NOT IN (SELECT doc_key FROM documents)";
        return (long)(await count.ExecuteScalarAsync(Ct))!;
    }

    private SqliteConnection Open(bool foreignKeys)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = StorePath, ForeignKeys = foreignKeys, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }
}
