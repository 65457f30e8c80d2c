using Tensorizer.Format;
using Tensorizer.Sources;

namespace Tensorizer.Reading;

/// <summary>
/// An open <c>.tensors</c> file: its header and index are parsed on open (no tensor data is read); tensors are
/// then loaded in parallel into targets the caller provides.
/// </summary>
public sealed class TensorFile : ITensorCheckpoint
{
    /// <summary>Upstream always writes 256 KiB; anything far larger is refused rather than allocated.</summary>
    public const long MaxMetadataSize = 64L << 20;

    private readonly bool _ownsSource;

    private TensorFile(IRangeSource source, bool ownsSource, FileHeader header, TensorIndex index)
    {
        Source = source;
        _ownsSource = ownsSource;
        Header = header;
        Index = index;
    }

    public IRangeSource Source { get; }

    public FileHeader Header { get; }

    public TensorIndex Index { get; }

    IReadOnlyList<TensorEntry> ITensorCheckpoint.Tensors => Index;

    string ITensorCheckpoint.Location => Source.Location;

    /// <summary>Opens a location: a path, <c>file://</c>, <c>http(s)://</c> or <c>s3://bucket/key</c>.</summary>
    public static async Task<TensorFile> OpenAsync(string location, CancellationToken cancellationToken = default) =>
        await OpenAsync(await RangeSources.OpenAsync(location, cancellationToken: cancellationToken).ConfigureAwait(false), ownsSource: true, cancellationToken).ConfigureAwait(false);

    /// <summary>Reads and validates the header and index.</summary>
    public static async Task<TensorFile> OpenAsync(IRangeSource source, bool ownsSource = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        try
        {
            if (source.Length < FileHeader.Size)
            {
                var prefix = new byte[Math.Min(source.Length, FileHeader.Magic.Length)];
                await source.ReadAsync(0, prefix, cancellationToken).ConfigureAwait(false);
                FileHeader.Parse(prefix, source.Length); // reports a wrong magic first
                throw new TensorizerFormatException(
                    $"{source.Location} is truncated: {source.Length} bytes, shorter than the {FileHeader.Size}-byte file header.");
            }

            var headerBytes = new byte[FileHeader.Size];
            await source.ReadAsync(0, headerBytes, cancellationToken).ConfigureAwait(false);
            var header = FileHeader.Parse(headerBytes, source.Length);
            if (header.MetadataSize > MaxMetadataSize)
            {
                throw new TensorizerFormatException(
                    $"Metadata block of {header.MetadataSize} bytes exceeds the {MaxMetadataSize}-byte limit (writers use {FileHeader.DefaultMetadataSize}).");
            }

            var metadata = new byte[header.MetadataSize];
            await source.ReadAsync(FileHeader.MetadataOffset, metadata, cancellationToken).ConfigureAwait(false);
            var index = TensorIndex.Parse(metadata, header, source.Length);
            if (index.HeaderBlock)
            {
                index = await MeasureHeaderBlockAsync(source, index, cancellationToken).ConfigureAwait(false);
            }

            return new TensorFile(source, ownsSource, header, index);
        }
        catch when (ownsSource)
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>One read of the header block gives every header's length (their sizes are not in the index).</summary>
    private static async Task<TensorIndex> MeasureHeaderBlockAsync(IRangeSource source, TensorIndex index, CancellationToken cancellationToken)
    {
        var (start, length) = HeaderBlockLayout.Span(index);
        if (length > Math.Min(MaxMetadataSize, index.Count * TensorIndex.MaxHeaderLength))
        {
            throw new TensorizerFormatException(
                $"The header block of {length} bytes (from {start} to the first tensor data) is larger than {index.Count} tensor headers can be.");
        }

        var block = new byte[length];
        await source.ReadAsync(start, block, cancellationToken).ConfigureAwait(false);
        return HeaderBlockLayout.Measure(index, block, start);
    }

    /// <summary>Reads and parses one tensor's header (its hashes and module index live only there).</summary>
    public async Task<(TensorHeader Header, byte[] Bytes)> ReadHeaderAsync(TensorEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var bytes = new byte[entry.HeaderLength];
        await Source.ReadAsync(entry.HeaderOffset, bytes, cancellationToken).ConfigureAwait(false);
        return (TensorHeader.Parse(bytes, entry, Header.HasCryptInfo), bytes);
    }

    /// <summary>
    /// Loads the given tensors with <see cref="LoadOptions.Readers"/> parallel readers into the targets
    /// <paramref name="targetFor"/> returns (called once per tensor, in file order, before any data is read).
    /// </summary>
    public async Task LoadAsync(
        IEnumerable<TensorEntry> entries,
        Func<TensorEntry, ITensorTarget> targetFor,
        LoadOptions? options = null,
        IProgress<LoadProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        await RunAsync(entries, targetFor, options ?? LoadOptions.Default, progress, onMismatch: null, cancellationToken).ConfigureAwait(false);

    /// <summary>Loads tensors into byte arrays keyed by name (each under 2 GiB).</summary>
    public async Task<IReadOnlyDictionary<string, byte[]>> ReadBytesAsync(
        IEnumerable<TensorEntry>? entries = null, LoadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var targets = new Dictionary<string, ArrayTarget>(StringComparer.Ordinal);
        await LoadAsync(
            entries ?? Index,
            entry => targets[entry.Name.Text] = new ArrayTarget(entry.DataLength),
            options,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        return targets.ToDictionary(t => t.Key, t => t.Value.Bytes, StringComparer.Ordinal);
    }

    /// <summary>
    /// Checks every tensor's hashes, reading all data through a bounded scratch pool; returns every mismatch
    /// (empty when the file is intact). Structural errors still throw.
    /// </summary>
    public async Task<IReadOnlyList<TensorHashMismatchException>> VerifyAsync(
        LoadOptions? options = null, IProgress<LoadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options = (options ?? LoadOptions.Default) with { VerifyHashes = true };
        var mismatches = new System.Collections.Concurrent.ConcurrentBag<TensorHashMismatchException>();
        using var scratch = new ScratchTarget(maxChunks: 2 * options.Readers);
        await RunAsync(Index, _ => scratch, options, progress, mismatches.Add, cancellationToken).ConfigureAwait(false);
        return [.. mismatches.OrderBy(m => Index[m.TensorName].DataOffset)];
    }

    private async Task RunAsync(
        IEnumerable<TensorEntry> entries,
        Func<TensorEntry, ITensorTarget> targetFor,
        LoadOptions options,
        IProgress<LoadProgress>? progress,
        Action<TensorHashMismatchException>? onMismatch,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(targetFor);
        options.Validate();
        if (options.Decryption is not null && !Header.HasCryptInfo)
        {
            // As upstream: a key given for a plain file means the wrong file, or unauthenticated bytes where sealed ones were expected.
            throw new Crypto.TensorDecryptionException("", Crypto.DecryptionFailure.KeyMismatch,
                $"{Source.Location} is not encrypted, but a decryption key was given.");
        }

        var jobs = entries.Distinct().OrderBy(e => e.DataOffset).Select(entry =>
        {
            var target = targetFor(entry);
            return new TensorJob(entry, target, options.VerifyHashes ? new HashBaton(entry, target, onMismatch) : null, Source);
        }).ToArray();

        await new ParallelLoader([Source], options, progress, Header.HasCryptInfo).RunAsync(jobs, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _ownsSource ? Source.DisposeAsync() : ValueTask.CompletedTask;
}
