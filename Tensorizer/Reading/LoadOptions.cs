namespace Tensorizer.Reading;

/// <summary>How a load reads: how many parallel readers, how large each read, whether to verify hashes.</summary>
public sealed record LoadOptions
{
    public const int DefaultChunkSize = 8 << 20;

    /// <summary>Parallel reader threads, each issuing one range read at a time (upstream uses 8 for local files).</summary>
    public int Readers { get; init; } = 8;

    /// <summary>Largest single read, a multiple of 4096; big tensors are split into chunks so readers share them.</summary>
    public int ChunkSize { get; init; } = DefaultChunkSize;

    /// <summary>Check every tensor's CRC32 and SHA-256 against its header.</summary>
    public bool VerifyHashes { get; init; }

    /// <summary>Decrypts encrypted files; null for plain files (an encrypted tensor then fails the load, naming it).</summary>
    public Crypto.DecryptionKey? Decryption { get; init; }

    public static LoadOptions Default { get; } = new();

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Readers, 1, nameof(Readers));
        // Whole pages: chunk boundaries then fall on element boundaries of every dtype, which device copies need.
        if (ChunkSize < 4096 || ChunkSize % 4096 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ChunkSize), ChunkSize, "The chunk size must be a positive multiple of 4096 bytes.");
        }
    }
}

/// <summary>How far a load has come.</summary>
public readonly record struct LoadProgress(long BytesRead, long TotalBytes, int TensorsDone, int TensorCount);
