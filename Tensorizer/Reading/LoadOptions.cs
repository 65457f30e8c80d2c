namespace Tensorizer.Reading;

/// <summary>How a load reads: how many parallel readers, how large each read, whether to verify hashes.</summary>
public sealed record LoadOptions
{
    public const int DefaultChunkSize = 8 << 20;

    /// <summary>Parallel reader threads, each issuing one range read at a time (upstream uses 8 for local files).</summary>
    public int Readers { get; init; } = 8;

    /// <summary>Largest single read; big tensors are split into chunks so readers share them.</summary>
    public int ChunkSize { get; init; } = DefaultChunkSize;

    /// <summary>Check every tensor's CRC32 and SHA-256 against its header.</summary>
    public bool VerifyHashes { get; init; }

    public static LoadOptions Default { get; } = new();

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Readers, 1, nameof(Readers));
        ArgumentOutOfRangeException.ThrowIfLessThan(ChunkSize, 4096, nameof(ChunkSize));
    }
}

/// <summary>How far a load has come.</summary>
public readonly record struct LoadProgress(long BytesRead, long TotalBytes, int TensorsDone, int TensorCount);
