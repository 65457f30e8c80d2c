using System.Collections.Concurrent;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Tensorizer.Sources.S3;

/// <summary>
/// A write-only stream that uploads to one S3 object with a multipart upload and bounded memory: one part fills while
/// up to <see cref="S3UploadOptions.MaxConcurrentParts"/> earlier parts upload. The object appears only when
/// <see cref="CompleteAsync"/> succeeds; disposing without completing, or any failure, aborts the upload so nothing
/// is left behind (no object, no pending parts). Content under one part is sent as a single PUT on completion.
/// Not for concurrent writers: one caller writes, then completes.
/// </summary>
public sealed class S3UploadStream : Stream
{
    private readonly IAmazonS3 _client;
    private readonly S3UploadOptions _options;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentBag<byte[]> _spareBuffers = [];
    private readonly List<Task<UploadPartResponse>> _parts = [];
    private readonly CancellationTokenSource _abort = new();
    private byte[] _buffer;
    private int _filled;
    private long _written;
    private string? _uploadId;
    private Exception? _partFailure;
    private State _state;

    public S3UploadStream(IAmazonS3 client, S3Location location, S3UploadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(location);
        if (location.IsPrefix)
        {
            throw new ArgumentException($"{location} is a prefix, not an object.", nameof(location));
        }

        _options = options ?? new S3UploadOptions();
        _options.Validate();
        _client = client;
        Location = location;
        _slots = new SemaphoreSlim(_options.MaxConcurrentParts);
        _buffer = new byte[_options.PartSize];
    }

    private enum State
    {
        Open,
        Completed,
        Aborted,
    }

    public S3Location Location { get; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => _state == State.Open;

    public override long Length => throw new NotSupportedException();

    /// <summary>Bytes written so far; cannot be set.</summary>
    public override long Position
    {
        get => _written;
        set => throw new NotSupportedException();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfNotOpen();
        try
        {
            while (!buffer.IsEmpty)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = Math.Min(buffer.Length, _buffer.Length - _filled);
                buffer[..count].CopyTo(_buffer.AsMemory(_filled));
                _filled += count;
                _written += count;
                buffer = buffer[count..];
                if (_filled == _buffer.Length)
                {
                    await StartPartAsync(isLast: false, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e)
        {
            await AbortAsync().ConfigureAwait(false);
            if (e is AmazonServiceException service)
            {
                throw S3Errors.Translate(service, Location);
            }

            throw;
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Blocks on the asynchronous write: uploads are network calls either way.</summary>
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>Uploads what is buffered and completes the upload: only now does the object appear.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfNotOpen();
        try
        {
            if (_uploadId is null)
            {
                await PutWholeAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                if (_filled > 0)
                {
                    await StartPartAsync(isLast: true, cancellationToken).ConfigureAwait(false);
                }

                var responses = await Task.WhenAll(_parts).ConfigureAwait(false);
                var request = new CompleteMultipartUploadRequest { BucketName = Location.Bucket, Key = Location.Key, UploadId = _uploadId };
                request.AddPartETagsAndChecksums(responses);
                await _client.CompleteMultipartUploadAsync(request, cancellationToken).ConfigureAwait(false);
            }

            _state = State.Completed;
        }
        catch (Exception e)
        {
            await AbortAsync().ConfigureAwait(false);
            if (e is AmazonServiceException service)
            {
                throw S3Errors.Translate(service, Location);
            }

            throw;
        }
    }

    /// <summary>Nothing to do: parts go out as they fill, and S3 refuses parts under 5 MiB, so a flush cannot force one.</summary>
    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        await DisposeCoreAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            DisposeCoreAsync().AsTask().GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
    }

    /// <summary>Hands the full buffer to a part upload, waiting first for a free slot: this bounds memory.</summary>
    private async Task StartPartAsync(bool isLast, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_partFailure is { } failure)
            {
                throw failure is AmazonServiceException service
                    ? S3Errors.Translate(service, Location)
                    : new IOException($"{Location}: uploading a part failed: {failure.Message}", failure);
            }

            if (_parts.Count == S3UploadOptions.MaxParts)
            {
                throw new InvalidOperationException(
                    $"{Location}: the upload needs more than {S3UploadOptions.MaxParts} parts of {_options.PartSize} bytes; use a larger part size.");
            }

            _uploadId ??= (await _client.InitiateMultipartUploadAsync(
                new InitiateMultipartUploadRequest { BucketName = Location.Bucket, Key = Location.Key, ContentType = _options.ContentType },
                cancellationToken).ConfigureAwait(false)).UploadId;
        }
        catch
        {
            _slots.Release();
            throw;
        }

        // On the pool, so the SDK's synchronous work (checksums) overlaps filling the next part.
        var (partNumber, buffer, length) = (_parts.Count + 1, _buffer, _filled);
        _parts.Add(Task.Run(() => UploadPartAsync(partNumber, buffer, length, isLast)));
        _buffer = isLast ? [] : _spareBuffers.TryTake(out var spare) ? spare : new byte[_options.PartSize];
        _filled = 0;
    }

    /// <summary>Uploads one part (the SDK retries it), then returns its buffer for reuse and frees its slot.</summary>
    private async Task<UploadPartResponse> UploadPartAsync(int partNumber, byte[] buffer, int length, bool isLast)
    {
        try
        {
            using var content = new MemoryStream(buffer, 0, length, writable: false);
            var response = await _client.UploadPartAsync(
                new UploadPartRequest
                {
                    BucketName = Location.Bucket,
                    Key = Location.Key,
                    UploadId = _uploadId,
                    PartNumber = partNumber,
                    PartSize = length,
                    InputStream = content,
                    IsLastPart = isLast,
                },
                _abort.Token).ConfigureAwait(false);
            response.PartNumber ??= partNumber;
            return response;
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _partFailure, e, null);
            throw;
        }
        finally
        {
            _spareBuffers.Add(buffer);
            _slots.Release();
        }
    }

    private async Task PutWholeAsync(CancellationToken cancellationToken)
    {
        using var content = new MemoryStream(_buffer, 0, _filled, writable: false);
        await _client.PutObjectAsync(
            new PutObjectRequest { BucketName = Location.Bucket, Key = Location.Key, InputStream = content, ContentType = _options.ContentType },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the parts in flight, waits for them (so none lands after the abort), then aborts the upload.</summary>
    private async Task AbortAsync()
    {
        if (_state != State.Open)
        {
            return;
        }

        _state = State.Aborted;
        await _abort.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll((IEnumerable<Task>)_parts).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // their failures are already reported
        if (_uploadId is not null)
        {
            try
            {
                await _client.AbortMultipartUploadAsync(
                    new AbortMultipartUploadRequest { BucketName = Location.Bucket, Key = Location.Key, UploadId = _uploadId },
                    CancellationToken.None).ConfigureAwait(false);
            }
            catch (AmazonServiceException)
            {
                // The original failure matters more; a bucket lifecycle rule for incomplete uploads cleans up.
            }
        }
    }

    private async ValueTask DisposeCoreAsync()
    {
        if (_state == State.Open)
        {
            await AbortAsync().ConfigureAwait(false);
        }

        _abort.Dispose();
        _slots.Dispose();
    }

    private void ThrowIfNotOpen()
    {
        switch (_state)
        {
            case State.Completed:
                throw new InvalidOperationException($"{Location}: the upload is already complete.");
            case State.Aborted:
                throw new InvalidOperationException($"{Location}: the upload was aborted (disposed, or an earlier write failed).");
        }
    }
}
