namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>How many replicas must apply a write before Qdrant orders it (distributed mode only).</summary>
public enum QdrantWriteOrdering
{
    /// <summary>Qdrant's default: writes are ordered per replica, fastest.</summary>
    Weak,
    /// <summary>Writes go through a dynamically elected leader; survives a leader change.</summary>
    Medium,
    /// <summary>Writes go through the permanent leader; strictest, fails while it is down.</summary>
    Strong,
}

/// <summary>How many replicas a read must agree with (distributed mode only).</summary>
public enum QdrantReadConsistency
{
    /// <summary>Ask one replica (Qdrant's default).</summary>
    One,
    Majority,
    Quorum,
    All,
}

/// <summary>
/// Where the Qdrant store lives and how its collections are laid out. Bound from configuration
/// (Store:Qdrant:*, environment KQA__Store__Qdrant__*) and from the kqa flags --qdrant-url,
/// --qdrant-api-key and --collection.
/// </summary>
public sealed class QdrantStoreOptions
{
    /// <summary>The option path used in messages, as it appears in configuration.</summary>
    public const string ConfigurationPath = "Store:Qdrant";

    public const string DefaultUrl = "http://localhost:6334";

    /// <summary>Qdrant's gRPC endpoint (port 6334 unless given); https turns on TLS.</summary>
    public string Url { get; set; } = DefaultUrl;

    /// <summary>Sent as the api-key header; Qdrant Cloud and secured servers need it.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// SHA-256 (or SHA-1) thumbprint of a self-signed server certificate to trust over https; when
    /// null the certificate must chain to a trusted root.
    /// </summary>
    public string? CertificateThumbprint { get; set; }

    /// <summary>The collection of chunk points; document records live in "&lt;Collection&gt;_documents".</summary>
    public string Collection { get; set; } = "knowledge";

    /// <summary>Shards of the chunk collection; null lets Qdrant choose (one per node in a cluster).</summary>
    public uint? ShardNumber { get; set; }

    /// <summary>Copies of each shard (both collections); null is Qdrant's default of 1.</summary>
    public uint? ReplicationFactor { get; set; }

    /// <summary>Replicas that must confirm a write before it succeeds; null is Qdrant's default of 1.</summary>
    public uint? WriteConsistencyFactor { get; set; }

    /// <summary>Ordering guarantee of every write; null is Qdrant's default (weak).</summary>
    public QdrantWriteOrdering? WriteOrdering { get; set; }

    /// <summary>Replicas every read consults; null is Qdrant's default (one).</summary>
    public QdrantReadConsistency? ReadConsistency { get; set; }

    /// <summary>Keep dense vectors on disk (memory-mapped) instead of in RAM.</summary>
    public bool OnDiskVectors { get; set; }

    /// <summary>
    /// Ask for payloads (chunk text) on disk, indexed fields in RAM. A stock Qdrant server keeps
    /// payloads on disk already (its storage.on_disk_payload defaults to true), so this only
    /// changes servers configured otherwise.
    /// </summary>
    public bool OnDiskPayload { get; set; }

    /// <summary>Int8 scalar quantization of the dense vectors (quantized copy kept in RAM): ~4x less memory.</summary>
    public bool ScalarQuantization { get; set; }

    /// <summary>
    /// Under quantization, re-score the best candidates with the original vectors so dense scores
    /// are exact cosines (Qdrant's rescore); ignored by collections without quantization.
    /// </summary>
    public bool QuantizationRescore { get; set; } = true;

    /// <summary>How many times more candidates the quantized search keeps for rescoring (Qdrant's oversampling), 1 to 16.</summary>
    public double QuantizationOversampling { get; set; } = 2.0;

    /// <summary>Points per upsert request; large documents are written in batches of this size.</summary>
    public int UpsertBatchSize { get; set; } = 256;

    /// <summary>Retries of a call that failed with a transient gRPC status; 0 disables retrying.</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>First retry delay; it doubles with every retry (with jitter), capped at <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long connecting (and the first health check) may take before the store reports Qdrant unreachable.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Client-side deadline of one attempt of every other call (writes wait until applied).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The timeout sent with every call, in whole seconds, so the server stops work the client gave
    /// up on (at most <see cref="RequestTimeout"/>, so the server's own answer arrives first).
    /// </summary>
    public TimeSpan ServerTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most one operation may take across all its retries before it fails.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The collection that holds one record per document (and the store's metadata).</summary>
    public string DocumentsCollection => Collection + "_documents";

    /// <summary>Throws <see cref="InvalidOptionException"/> naming the first option that cannot work.</summary>
    public void Validate()
    {
        _ = QdrantEndpoint.Parse(Url);
        if (string.IsNullOrWhiteSpace(Collection) || Collection.Length > 200 || Collection.IndexOfAny(['/', '\\', ' ']) >= 0)
        {
            throw new InvalidOptionException(
                $"{ConfigurationPath}:Collection '{Collection}' is not a usable collection name: use letters, digits, '-' or '_' (at most 200 characters).");
        }

        RequirePositive(nameof(ShardNumber), ShardNumber);
        RequirePositive(nameof(ReplicationFactor), ReplicationFactor);
        RequirePositive(nameof(WriteConsistencyFactor), WriteConsistencyFactor);
        if (WriteConsistencyFactor > (ReplicationFactor ?? 1))
        {
            throw new InvalidOptionException(
                $"{ConfigurationPath}:WriteConsistencyFactor ({WriteConsistencyFactor}) cannot exceed {ConfigurationPath}:ReplicationFactor ({ReplicationFactor ?? 1}): a write could never be confirmed.");
        }

        if (UpsertBatchSize is < 1 or > 10_000)
        {
            throw new InvalidOptionException($"{ConfigurationPath}:UpsertBatchSize must be between 1 and 10000 (got {UpsertBatchSize}).");
        }

        if (MaxRetries is < 0 or > 100)
        {
            throw new InvalidOptionException($"{ConfigurationPath}:MaxRetries must be between 0 and 100 (got {MaxRetries}).");
        }

        RequireNonNegative(nameof(RetryBaseDelay), RetryBaseDelay);
        RequireNonNegative(nameof(MaxRetryDelay), MaxRetryDelay);
        RequirePositive(nameof(ConnectTimeout), ConnectTimeout);
        RequirePositive(nameof(RequestTimeout), RequestTimeout);
        RequirePositive(nameof(OperationTimeout), OperationTimeout);
        if (ServerTimeout < TimeSpan.FromSeconds(1) || ServerTimeout > RequestTimeout)
        {
            throw new InvalidOptionException(
                $"{ConfigurationPath}:ServerTimeout must be at least 1 second and at most {ConfigurationPath}:RequestTimeout ({RequestTimeout}) (got {ServerTimeout}).");
        }

        if (QuantizationOversampling is < 1 or > 16 || double.IsNaN(QuantizationOversampling))
        {
            throw new InvalidOptionException($"{ConfigurationPath}:QuantizationOversampling must be between 1 and 16 (got {QuantizationOversampling}).");
        }
    }

    /// <summary><see cref="ServerTimeout"/> as Qdrant takes it: whole seconds.</summary>
    internal ulong ServerTimeoutSeconds => (ulong)Math.Ceiling(ServerTimeout.TotalSeconds);

    private static void RequirePositive(string name, uint? value)
    {
        if (value == 0)
        {
            throw new InvalidOptionException($"{ConfigurationPath}:{name} must be at least 1 (or unset for Qdrant's default).");
        }
    }

    private static void RequirePositive(string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new InvalidOptionException($"{ConfigurationPath}:{name} must be positive (got {value}).");
        }
    }

    private static void RequireNonNegative(string name, TimeSpan value)
    {
        if (value < TimeSpan.Zero)
        {
            throw new InvalidOptionException($"{ConfigurationPath}:{name} must not be negative (got {value}).");
        }
    }
}
