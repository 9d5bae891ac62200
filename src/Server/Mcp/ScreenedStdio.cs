using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KnowledgeQa.Server.Mcp;

/// <summary>
/// Standard input and output of <c>kqa mcp</c> between the client and the MCP library: each input
/// line is checked (<see cref="JsonRpcScreen"/>, a size limit) and either passed on or answered
/// with a JSON-RPC error right here; when the input ends (the client closed it or went away),
/// <see cref="ClientGone"/> is cancelled so that work still running for that client stops.
/// </summary>
public sealed class ScreenedStdio
{
    private static readonly byte[] Newline = "\n"u8.ToArray();

    private readonly Stream _input;
    private readonly LineAtomicStream _output;
    private readonly int _maxMessageBytes;
    private readonly Pipe _screened = new();
    private readonly CancellationTokenSource _clientGone = new();

    public ScreenedStdio(Stream input, Stream output, int maxMessageBytes)
    {
        _input = input;
        _output = new LineAtomicStream(output);
        _maxMessageBytes = maxMessageBytes;
    }

    /// <summary>The screened messages, one per line: the MCP library's input.</summary>
    public Stream Input => _screened.Reader.AsStream();

    /// <summary>The MCP library's output; whole lines only, so errors written here never split a message.</summary>
    public Stream Output => _output;

    /// <summary>Cancelled when the client's input has ended.</summary>
    public CancellationToken ClientGone => _clientGone.Token;

    /// <summary>Copies screened lines from the real input until it ends.</summary>
    public async Task PumpAsync(CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(_input);
        var skipping = false;
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(cancellationToken);
                var buffer = read.Buffer;
                while (buffer.PositionOf((byte)'\n') is { } end)
                {
                    var line = buffer.Slice(0, end);
                    buffer = buffer.Slice(buffer.GetPosition(1, end));
                    if (skipping)
                    {
                        skipping = false;
                        await WriteErrorAsync(JsonRpcScreen.Error(JsonRpcScreen.InvalidRequest,
                            $"Invalid Request: the message is over {_maxMessageBytes} bytes; it was not read.", null), cancellationToken);
                    }
                    else
                    {
                        await HandleLineAsync(line, cancellationToken);
                    }
                }
                if (!skipping && buffer.Length > _maxMessageBytes)
                {
                    // A line too long to be a message: drop what arrived and the rest of it up to its end.
                    skipping = true;
                    buffer = buffer.Slice(buffer.End);
                }
                else if (skipping)
                {
                    buffer = buffer.Slice(buffer.End);
                }
                if (read.IsCompleted)
                {
                    if (!skipping && buffer.Length > 0)
                        await HandleLineAsync(buffer, cancellationToken);
                    break;
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // kqa is stopping.
        }
        finally
        {
            await reader.CompleteAsync();
            await _screened.Writer.CompleteAsync();
            await _clientGone.CancelAsync();
        }
    }

    private async Task HandleLineAsync(ReadOnlySequence<byte> line, CancellationToken cancellationToken)
    {
        var bytes = line.ToArray().AsMemory();
        if (bytes.Length > 0 && bytes.Span[^1] == (byte)'\r')
            bytes = bytes[..^1];
        if (bytes.Span.Trim(" \t"u8).IsEmpty)
            return;
        if (JsonRpcScreen.Check(bytes) is { } error)
        {
            await WriteErrorAsync(error, cancellationToken);
            return;
        }
        await _screened.Writer.WriteAsync(bytes, cancellationToken);
        await _screened.Writer.WriteAsync(Newline, cancellationToken);
    }

    private Task WriteErrorAsync(JsonNode error, CancellationToken cancellationToken) =>
        _output.WriteLineAsync(JsonSerializer.SerializeToUtf8Bytes(error), cancellationToken);

    /// <summary>
    /// A stream that passes writes on a line at a time, so that lines written by <see cref="WriteLineAsync"/>
    /// land between the MCP library's messages, never inside one.
    /// </summary>
    private sealed class LineAtomicStream(Stream inner) : Stream
    {
        private readonly SemaphoreSlim _lock = new(1, 1);
        private readonly ArrayBufferWriter<byte> _pending = new();

        public async Task WriteLineAsync(byte[] line, CancellationToken cancellationToken)
        {
            await _lock.WaitAsync(cancellationToken);
            try
            {
                await inner.WriteAsync(line, cancellationToken);
                await inner.WriteAsync(Newline, cancellationToken);
                await inner.FlushAsync(cancellationToken);
            }
            finally
            {
                _lock.Release();
            }
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await _lock.WaitAsync(cancellationToken);
            try
            {
                _pending.Write(buffer.Span);
                var written = _pending.WrittenMemory;
                var last = written.Span.LastIndexOf((byte)'\n');
                if (last < 0)
                    return;
                await inner.WriteAsync(written[..(last + 1)], cancellationToken);
                var rest = written[(last + 1)..].ToArray();
                _pending.Clear();
                _pending.Write(rest);
            }
            finally
            {
                _lock.Release();
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) =>
            WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async Task FlushAsync(CancellationToken cancellationToken)
        {
            await _lock.WaitAsync(cancellationToken);
            try
            {
                await inner.FlushAsync(cancellationToken);
            }
            finally
            {
                _lock.Release();
            }
        }

        public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
