using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;

namespace KnowledgeQa.Retrieval.Storage.Embedded.Index;

/// <summary>The parts of an index file, in file order.</summary>
internal enum IndexSection
{
    /// <summary>long per row: the chunk's rowid in the store; rows are in rowid order.</summary>
    ChunkRowIds,
    /// <summary>int per row: the row's document, as an index into <see cref="DocumentKeys"/>.</summary>
    RowDocuments,
    /// <summary>long per document: the store's doc_key, ascending.</summary>
    DocumentKeys,
    /// <summary>int per document + 1: where each document's rows start in <see cref="DocumentRows"/>.</summary>
    DocumentRowStarts,
    /// <summary>int per row: rows grouped by document.</summary>
    DocumentRows,
    /// <summary>float per list and dimension: the unit centroids of the dense lists.</summary>
    Centroids,
    /// <summary>float per dimension: the quantizer's offsets.</summary>
    QuantizerOffsets,
    /// <summary>float per dimension: the quantizer's steps.</summary>
    QuantizerSteps,
    /// <summary>int per list + 1: where each list's rows start among the positions.</summary>
    ListStarts,
    /// <summary>int per position: the row stored at that position of the list layout.</summary>
    PositionRows,
    /// <summary>int per position: that row's document, so filtered scans read memory in order.</summary>
    PositionDocuments,
    /// <summary>int per row: the row's position in the list layout.</summary>
    RowPositions,
    /// <summary>sbyte per position and dimension: the quantized vectors, list after list.</summary>
    Codes,
    /// <summary>float per dimension: the 4-bit quantizer's lowest values.</summary>
    NibbleLows,
    /// <summary>float per dimension: the 4-bit quantizer's steps.</summary>
    NibbleSteps,
    /// <summary>4-bit codes, <see cref="NibbleQuantizer.Stride"/> bytes per position, list after list (the first pass of a dense search).</summary>
    Nibbles,
    /// <summary>uint per term: the term ids, ascending.</summary>
    Terms,
    /// <summary>float per term: the largest weight in the term's postings (bounds for pruning).</summary>
    TermMaxWeights,
    /// <summary>long per term + 1: where each term's postings start.</summary>
    TermStarts,
    /// <summary>int per posting: the row, ascending within a term.</summary>
    PostingRows,
    /// <summary>float per posting: the stored weight, exactly as written.</summary>
    PostingWeights,
    /// <summary>int per term + 1: where each term's blocks start in <see cref="BlockLastRows"/> (lists too short for blocks have none).</summary>
    TermBlockStarts,
    /// <summary>int per block: the last row of the block's <see cref="PostingBlocks.Size"/> postings.</summary>
    BlockLastRows,
    /// <summary>float per block: the largest weight among the block's postings (block-max bounds for pruning).</summary>
    BlockMaxWeights,
}

/// <summary>
/// What an index file covers and how big its parts are. The file is derived data: it mirrors the
/// store's chunks up to <see cref="MaxChunkRowId"/> with the changes logged up to
/// <see cref="ChangeSequence"/>, for the store <see cref="StoreId"/>, and is rebuilt from the
/// SQLite file whenever it is missing, stale beyond catching up, or of another format.
/// </summary>
internal sealed record IndexFileHeader
{
    /// <summary>Bumped whenever the layout or the meaning of a section changes; other versions are rebuilt.</summary>
    /// <remarks>
    /// 2: the 4-bit codes (<see cref="IndexSection.Nibbles"/>) a dense search scans first.
    /// 3: the postings blocks' last rows and largest weights (<see cref="IndexSection.BlockMaxWeights"/>).
    /// </remarks>
    public const int FormatVersion = 3;
    public const int HeaderBytes = 4096;
    private const ulong Magic = 0x5845444E4941514B; // "KQAINDEX" little-endian
    private const int Alignment = 64;

    public required int Dimensions { get; init; }
    public required int Rows { get; init; }
    public required int Lists { get; init; }
    public required int Documents { get; init; }
    public required int Terms { get; init; }
    public required long Postings { get; init; }
    /// <summary>Postings blocks of all terms (<see cref="PostingBlocks"/>).</summary>
    public required int Blocks { get; init; }
    public required Guid StoreId { get; init; }
    public required long MaxChunkRowId { get; init; }
    public required long ChangeSequence { get; init; }
    /// <summary>Whether every stored lexical weight is ≥ 0 (pruning relies on it).</summary>
    public required bool NonNegativeWeights { get; init; }

    /// <summary>Byte offset of each section, then the file length.</summary>
    public long[] Layout()
    {
        var offsets = new long[Enum.GetValues<IndexSection>().Length + 1];
        var at = (long)HeaderBytes;
        foreach (var section in Enum.GetValues<IndexSection>())
        {
            offsets[(int)section] = at;
            at += (SectionBytes(section) + Alignment - 1) / Alignment * Alignment;
        }
        offsets[^1] = at;
        return offsets;
    }

    /// <summary>Bytes of the lexical part (term table and postings).</summary>
    public long LexicalBytes => new[] { IndexSection.Terms, IndexSection.TermMaxWeights, IndexSection.TermStarts, IndexSection.PostingRows, IndexSection.PostingWeights, IndexSection.TermBlockStarts, IndexSection.BlockLastRows, IndexSection.BlockMaxWeights }.Sum(SectionBytes);

    /// <summary>Bytes of the dense part (codes, lists, centroids, quantizer).</summary>
    public long DenseBytes => new[] { IndexSection.Centroids, IndexSection.QuantizerOffsets, IndexSection.QuantizerSteps, IndexSection.ListStarts, IndexSection.PositionRows, IndexSection.PositionDocuments, IndexSection.RowPositions, IndexSection.Codes, IndexSection.NibbleLows, IndexSection.NibbleSteps, IndexSection.Nibbles }.Sum(SectionBytes);

    private long SectionBytes(IndexSection section) => section switch
    {
        IndexSection.ChunkRowIds => Rows * 8L,
        IndexSection.RowDocuments or IndexSection.DocumentRows or IndexSection.PositionRows or IndexSection.PositionDocuments or IndexSection.RowPositions => Rows * 4L,
        IndexSection.DocumentKeys => Documents * 8L,
        IndexSection.DocumentRowStarts => (Documents + 1) * 4L,
        IndexSection.Centroids => (long)Lists * Dimensions * 4,
        IndexSection.QuantizerOffsets or IndexSection.QuantizerSteps or IndexSection.NibbleLows or IndexSection.NibbleSteps => Dimensions * 4L,
        IndexSection.ListStarts => (Lists + 1) * 4L,
        IndexSection.Codes => (long)Rows * Dimensions,
        IndexSection.Nibbles => (long)Rows * NibbleQuantizer.StrideFor(Dimensions),
        IndexSection.Terms or IndexSection.TermMaxWeights => Terms * 4L,
        IndexSection.TermStarts => (Terms + 1) * 8L,
        IndexSection.PostingRows or IndexSection.PostingWeights => Postings * 4,
        IndexSection.TermBlockStarts => (Terms + 1) * 4L,
        IndexSection.BlockLastRows or IndexSection.BlockMaxWeights => Blocks * 4L,
        _ => throw new ArgumentOutOfRangeException(nameof(section)),
    };

    public void Write(Span<byte> header)
    {
        header[..HeaderBytes].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(header, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], Dimensions);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], Rows);
        BinaryPrimitives.WriteInt32LittleEndian(header[20..], Lists);
        BinaryPrimitives.WriteInt32LittleEndian(header[24..], Documents);
        BinaryPrimitives.WriteInt32LittleEndian(header[28..], Terms);
        BinaryPrimitives.WriteInt64LittleEndian(header[32..], Postings);
        StoreId.TryWriteBytes(header[40..56]);
        BinaryPrimitives.WriteInt64LittleEndian(header[56..], MaxChunkRowId);
        BinaryPrimitives.WriteInt64LittleEndian(header[64..], ChangeSequence);
        header[72] = NonNegativeWeights ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt32LittleEndian(header[76..], Blocks);
    }

    /// <summary>The header of a file, or null when the bytes are not an index file of this format.</summary>
    public static IndexFileHeader? TryRead(ReadOnlySpan<byte> header)
    {
        if (header.Length < HeaderBytes || BinaryPrimitives.ReadUInt64LittleEndian(header) != Magic
            || BinaryPrimitives.ReadInt32LittleEndian(header[8..]) != FormatVersion)
        {
            return null;
        }
        var read = new IndexFileHeader
        {
            Dimensions = BinaryPrimitives.ReadInt32LittleEndian(header[12..]),
            Rows = BinaryPrimitives.ReadInt32LittleEndian(header[16..]),
            Lists = BinaryPrimitives.ReadInt32LittleEndian(header[20..]),
            Documents = BinaryPrimitives.ReadInt32LittleEndian(header[24..]),
            Terms = BinaryPrimitives.ReadInt32LittleEndian(header[28..]),
            Postings = BinaryPrimitives.ReadInt64LittleEndian(header[32..]),
            StoreId = new Guid(header[40..56]),
            MaxChunkRowId = BinaryPrimitives.ReadInt64LittleEndian(header[56..]),
            ChangeSequence = BinaryPrimitives.ReadInt64LittleEndian(header[64..]),
            NonNegativeWeights = header[72] == 1,
            Blocks = BinaryPrimitives.ReadInt32LittleEndian(header[76..]),
        };
        return read.Dimensions > 0 && read.Rows >= 0 && read.Lists > 0 && read.Documents >= 0 && read.Terms >= 0 && read.Postings >= 0 && read.Blocks >= 0 ? read : null;
    }
}

/// <summary>
/// An index file mapped into memory, read-only: opening costs nothing beyond the mapping, pages
/// are read from the OS cache as searches touch them, and processes on the same store share one
/// copy. Spans handed out are valid until <see cref="Dispose"/>; the store disposes the file only
/// under its index lock, when no search is using it.
/// </summary>
internal sealed unsafe class IndexFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _pointer;
    private readonly long[] _layout;
    private bool _disposed;

    private IndexFile(MemoryMappedFile map, MemoryMappedViewAccessor view, byte* pointer, IndexFileHeader header, string path, long length)
    {
        _map = map;
        _view = view;
        _pointer = pointer;
        Header = header;
        Path = path;
        Length = length;
        _layout = header.Layout();
    }

    public IndexFileHeader Header { get; }

    public string Path { get; }

    public long Length { get; }

    /// <summary>Maps an index file; null when it is missing, truncated or of another format.</summary>
    public static IndexFile? TryOpen(string path)
    {
        if (!BitConverter.IsLittleEndian)
        {
            return null; // the format is little-endian; such machines rebuild in memory each time
        }
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException)
        {
            return null;
        }
        try
        {
            var length = stream.Length;
            Span<byte> bytes = stackalloc byte[IndexFileHeader.HeaderBytes];
            var header = length >= IndexFileHeader.HeaderBytes && stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false) == bytes.Length
                ? IndexFileHeader.TryRead(bytes)
                : null;
            if (header is null || header.Layout()[^1] != length)
            {
                stream.Dispose();
                return null;
            }
            // The map owns the stream from here on.
            var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            // The handle's pointer is the start of the view's page; the file's bytes begin at its offset.
            pointer += view.PointerOffset;
            return new IndexFile(map, view, pointer, header, path, length);
        }
        catch (IOException)
        {
            stream.Dispose();
            return null;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<T> Span<T>(IndexSection section, long first, int count) where T : unmanaged =>
        new(_pointer + _layout[(int)section] + first * sizeof(T), count);

    /// <summary>The first element of a section, for loops that walk several postings lists at once.</summary>
    public T* Pointer<T>(IndexSection section) where T : unmanaged => (T*)(_pointer + _layout[(int)section]);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}

/// <summary>
/// Writes a new index file: the whole file is sized from its header, mapped read-write and filled
/// in place (sections are written out of order, postings by scattering), then flushed to disk and
/// renamed over the old file in one step, so readers only ever see a complete file.
/// </summary>
internal sealed unsafe class IndexFileWriter : IDisposable
{
    private readonly string _temporaryPath;
    private readonly FileStream _stream;
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _pointer;
    private readonly long[] _layout;
    private bool _closed;

    public IndexFileWriter(string temporaryPath, IndexFileHeader header)
    {
        _temporaryPath = temporaryPath;
        _layout = header.Layout();
        _stream = new FileStream(temporaryPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        try
        {
            _stream.SetLength(_layout[^1]);
            _map = MemoryMappedFile.CreateFromFile(_stream, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
            _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.ReadWrite);
            byte* pointer = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            _pointer = pointer + _view.PointerOffset;
            header.Write(new Span<byte>(_pointer, IndexFileHeader.HeaderBytes));
        }
        catch
        {
            _stream.Dispose();
            File.Delete(temporaryPath);
            throw;
        }
    }

    public Span<T> Span<T>(IndexSection section, long first, int count) where T : unmanaged =>
        new(_pointer + _layout[(int)section] + first * sizeof(T), count);

    /// <summary>Flushes the file to disk and moves it to <paramref name="path"/>, replacing what was there.</summary>
    public void Commit(string path)
    {
        Close(flush: true);
        File.Move(_temporaryPath, path, overwrite: true);
    }

    public void Dispose()
    {
        if (!_closed)
        {
            Close(flush: false);
            File.Delete(_temporaryPath);
        }
    }

    private void Close(bool flush)
    {
        _closed = true;
        if (flush)
        {
            _view.Flush();
        }
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
        if (flush)
        {
            _stream.Flush(flushToDisk: true);
        }
        _stream.Dispose();
    }
}
