namespace Tensorizer.Sources.S3;

/// <summary>How <see cref="S3UploadStream"/> splits an upload: memory use is at most (MaxConcurrentParts + 1) × PartSize.</summary>
public sealed record S3UploadOptions
{
    /// <summary>S3's smallest part, except the last.</summary>
    public const int MinPartSize = 5 << 20;

    public const int DefaultPartSize = 16 << 20;

    /// <summary>S3's limit on parts in one multipart upload.</summary>
    public const int MaxParts = 10_000;

    public int PartSize { get; init; } = DefaultPartSize;

    /// <summary>Parts uploading at once while the next one fills.</summary>
    public int MaxConcurrentParts { get; init; } = 4;

    public string ContentType { get; init; } = "application/octet-stream";

    /// <summary>These options with the part size raised, in whole MiB, so <paramref name="length"/> bytes fit in <see cref="MaxParts"/> parts.</summary>
    public S3UploadOptions ForLength(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        const long MiB = 1 << 20;
        var needed = (length + MaxParts - 1) / MaxParts;
        needed = (needed + MiB - 1) / MiB * MiB;
        if (needed > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"{length} bytes do not fit in {MaxParts} parts of at most 2 GiB.");
        }

        return needed > PartSize ? this with { PartSize = (int)needed } : this;
    }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(PartSize, MinPartSize, nameof(PartSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentParts, 1, nameof(MaxConcurrentParts));
        ArgumentException.ThrowIfNullOrEmpty(ContentType, nameof(ContentType));
    }
}
