using Tensorizer.Format;
using Tensorizer.Sources;

namespace Tensorizer.Reading;

/// <summary>
/// A safetensors checkpoint on the parallel loader: one <c>.safetensors</c> file, or the shards a
/// <c>model.safetensors.index.json</c> names, from any location the loader takes (path, <c>http(s)://</c>,
/// <c>s3://</c>). Opening reads only the headers (all shards at once) and checks them (<see cref="SafetensorsHeader"/>)
/// and, when sharded, against the index: every tensor is where the index says and nowhere else. Loading reads every
/// shard's tensors in chunks with the same readers, the shards interleaved so that all are read at once, straight
/// into the targets (a casting target casts each chunk as it lands).
/// </summary>
/// <remarks>Safetensors carries neither hashes nor encryption: asking to verify or decrypt is refused, naming the file.</remarks>
public sealed class SafetensorsCheckpoint : ITensorCheckpoint
{
    private readonly IReadOnlyList<IRangeSource> _shards;
    private readonly Dictionary<TensorEntry, int> _shardOf;
    private readonly bool _ownsSources;

    private SafetensorsCheckpoint(string location, IReadOnlyList<IRangeSource> shards, IReadOnlyList<SafetensorsHeader> headers, bool ownsSources)
    {
        Location = location;
        _shards = shards;
        _ownsSources = ownsSources;
        _shardOf = new Dictionary<TensorEntry, int>(ReferenceEqualityComparer.Instance);
        var tensors = new List<TensorEntry>();
        for (var s = 0; s < headers.Count; s++)
        {
            foreach (var entry in headers[s].Tensors)
            {
                _shardOf[entry] = s;
                tensors.Add(entry);
            }
        }

        Tensors = tensors;
        Headers = headers;
    }

    public string Location { get; }

    /// <summary>Every shard's tensors, shard by shard, each in data order.</summary>
    public IReadOnlyList<TensorEntry> Tensors { get; }

    /// <summary>The shards' sources, in the index's order.</summary>
    public IReadOnlyList<IRangeSource> Shards => _shards;

    public IReadOnlyList<SafetensorsHeader> Headers { get; }

    /// <summary>The shard that holds <paramref name="entry"/> (one of <see cref="Tensors"/>).</summary>
    public IRangeSource ShardOf(TensorEntry entry) => _shards[_shardOf[entry]];

    /// <summary>
    /// Opens a <c>.safetensors</c> file, or a shard index (a name ending in <c>.json</c>) and its shards.
    /// <paramref name="shardLocation"/> maps a shard's name in the index to its location; by default it sits
    /// beside the index.
    /// </summary>
    public static Task<SafetensorsCheckpoint> OpenAsync(
        string location, SourceOptions? options = null, Func<string, string>? shardLocation = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(location);
        return TensorCheckpoints.PathOf(location).EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            ? OpenIndexAsync(location, options, shardLocation, cancellationToken)
            : OpenFileAsync(location, options, cancellationToken);
    }

    /// <summary>Opens one <c>.safetensors</c> file.</summary>
    public static async Task<SafetensorsCheckpoint> OpenFileAsync(string location, SourceOptions? options = null, CancellationToken cancellationToken = default)
    {
        var source = await RangeSources.OpenAsync(location, options, cancellationToken).ConfigureAwait(false);
        return await OpenAsync([source], index: null, location, ownsSources: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens a shard index (<c>model.safetensors.index.json</c>) and every shard it names, all at once.</summary>
    public static async Task<SafetensorsCheckpoint> OpenIndexAsync(
        string location, SourceOptions? options = null, Func<string, string>? shardLocation = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(location);
        SafetensorsIndex index;
        await using (var indexSource = await RangeSources.OpenAsync(location, options, cancellationToken).ConfigureAwait(false))
        {
            if (indexSource.Length > SafetensorsIndex.MaxLength)
            {
                throw new TensorizerFormatException($"{location}: a safetensors index of {indexSource.Length} bytes is over the {SafetensorsIndex.MaxLength}-byte limit.");
            }

            var bytes = new byte[indexSource.Length];
            await indexSource.ReadAsync(0, bytes, cancellationToken).ConfigureAwait(false);
            index = SafetensorsIndex.Parse(bytes, location);
        }

        shardLocation ??= name => Beside(location, name);
        var opening = index.Shards.Select(shard => OpenShardAsync(shardLocation(shard), shard, location, options, cancellationToken)).ToArray();
        try
        {
            await Task.WhenAll(opening).ConfigureAwait(false);
        }
        catch
        {
            foreach (var open in opening.Where(o => o.IsCompletedSuccessfully))
            {
                await open.Result.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        return await OpenAsync([.. opening.Select(o => o.Result)], index, location, ownsSources: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads and checks the headers of open shards (in the order of <see cref="SafetensorsIndex.Shards"/> when
    /// <paramref name="index"/> is given).
    /// </summary>
    public static async Task<SafetensorsCheckpoint> OpenAsync(
        IReadOnlyList<IRangeSource> shards, SafetensorsIndex? index, string location, bool ownsSources = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(shards);
        try
        {
            var headers = await Task.WhenAll(shards.Select(s => ReadHeaderAsync(s, cancellationToken))).ConfigureAwait(false);
            if (index is not null)
            {
                CheckAgainstIndex(index, headers, shards, location);
            }
            else if (shards.Count != 1)
            {
                throw new ArgumentException("Several shards need the index that names them.", nameof(index));
            }

            return new SafetensorsCheckpoint(location, shards, headers, ownsSources);
        }
        catch when (ownsSources)
        {
            foreach (var shard in shards)
            {
                await shard.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>The location of <paramref name="name"/> in the folder, prefix or URL directory of <paramref name="location"/>.</summary>
    public static string Beside(string location, string name)
    {
        ArgumentNullException.ThrowIfNull(location);
        SafetensorsIndex.CheckShardName(name, location);
        if (!location.Contains("://", StringComparison.Ordinal))
        {
            return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(location))!, name);
        }

        if (location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            return location[..(location.LastIndexOf('/') + 1)] + name;
        }

        var uri = new Uri(location);
        return new Uri(uri, string.Join('/', name.Split('/').Select(Uri.EscapeDataString))).AbsoluteUri;
    }

    private static async Task<IRangeSource> OpenShardAsync(string shardLocation, string shard, string indexLocation, SourceOptions? options, CancellationToken cancellationToken)
    {
        try
        {
            return await RangeSources.OpenAsync(shardLocation, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            throw new TensorizerFormatException($"{indexLocation} names shard '{shard}', which cannot be opened at {shardLocation}: {e.Message}", e);
        }
        catch (TensorizerException e) when (e is not TensorizerFormatException)
        {
            throw new TensorizerException($"{indexLocation} names shard '{shard}': {e.Message}", e);
        }
    }

    private static async Task<SafetensorsHeader> ReadHeaderAsync(IRangeSource source, CancellationToken cancellationToken)
    {
        var prefix = new byte[Math.Min(SafetensorsHeader.PrefixSize, source.Length)];
        await source.ReadAsync(0, prefix, cancellationToken).ConfigureAwait(false);
        var length = SafetensorsHeader.ReadHeaderLength(prefix, source.Length, source.Location);
        var json = new byte[length];
        await source.ReadAsync(SafetensorsHeader.PrefixSize, json, cancellationToken).ConfigureAwait(false);
        return SafetensorsHeader.Parse(json, source.Length, source.Location);
    }

    /// <summary>Every tensor the index maps is in its shard, and every shard holds only what the index maps to it.</summary>
    private static void CheckAgainstIndex(SafetensorsIndex index, SafetensorsHeader[] headers, IReadOnlyList<IRangeSource> shards, string location)
    {
        if (headers.Length != index.Shards.Count)
        {
            throw new ArgumentException($"The index names {index.Shards.Count} shards; {headers.Length} were given.", nameof(shards));
        }

        var shardNumber = index.Shards.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
        for (var s = 0; s < headers.Length; s++)
        {
            foreach (var entry in headers[s].Tensors)
            {
                if (!index.WeightMap.TryGetValue(entry.Name.Text, out var mapped) || shardNumber[mapped] != s)
                {
                    throw new TensorizerLayoutException(mapped is null
                        ? $"{location}: shard '{index.Shards[s]}' holds tensor '{entry.Name}', which the index does not map."
                        : $"{location}: shard '{index.Shards[s]}' holds tensor '{entry.Name}', which the index maps to '{mapped}'.");
                }
            }
        }

        var stored = headers.SelectMany(h => h.Tensors).Select(e => e.Name.Text).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, shard) in index.WeightMap)
        {
            if (!stored.Contains(name))
            {
                throw new TensorizerLayoutException($"{location}: the index maps tensor '{name}' to shard '{shard}' ({shards[shardNumber[shard]].Location}), which does not hold it.");
            }
        }
    }

    public async Task LoadAsync(
        IEnumerable<TensorEntry> entries,
        Func<TensorEntry, ITensorTarget> targetFor,
        LoadOptions? options = null,
        IProgress<LoadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(targetFor);
        options ??= LoadOptions.Default;
        options.Validate();
        if (options.Decryption is not null)
        {
            throw new Crypto.TensorDecryptionException("", Crypto.DecryptionFailure.KeyMismatch, $"{Location} is safetensors, which is never encrypted, but a decryption key was given.");
        }

        if (options.VerifyHashes)
        {
            throw new TensorizerUnsupportedException($"{Location} is safetensors, which stores no hashes to verify; convert it to .tensors to verify on load.");
        }

        // Shard by shard in data order, then interleaved: consecutive tensors come from different shards, so every
        // shard is read at once by the same readers.
        var byShard = entries.Distinct()
            .Select(entry => _shardOf.TryGetValue(entry, out var shard) ? (entry, shard) : throw new ArgumentException($"Tensor '{entry.Name}' is not one of {Location}'s.", nameof(entries)))
            .GroupBy(p => p.shard)
            .Select(g => new Queue<TensorEntry>(g.Select(p => p.entry).OrderBy(e => e.DataOffset)))
            .ToList();
        var jobs = new List<TensorJob>();
        while (byShard.Any(q => q.Count > 0))
        {
            foreach (var queue in byShard.Where(q => q.Count > 0))
            {
                var entry = queue.Dequeue();
                jobs.Add(new TensorJob(entry, targetFor(entry), hash: null, ShardOf(entry), hasHeader: false));
            }
        }

        await new ParallelLoader(_shards, options, progress).RunAsync(jobs, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Loads tensors into byte arrays keyed by name (each under 2 GiB).</summary>
    public async Task<IReadOnlyDictionary<string, byte[]>> ReadBytesAsync(LoadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var targets = new Dictionary<string, ArrayTarget>(StringComparer.Ordinal);
        await LoadAsync(Tensors, entry => targets[entry.Name.Text] = new ArrayTarget(entry.DataLength), options, cancellationToken: cancellationToken).ConfigureAwait(false);
        return targets.ToDictionary(t => t.Key, t => t.Value.Bytes, StringComparer.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsSources)
        {
            foreach (var shard in _shards)
            {
                await shard.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
