namespace Tensorizer.Sources.S3;

/// <summary>
/// An <c>s3://bucket/key</c> location: an object, or with <see cref="ParsePrefix"/> a "folder" of objects. The key is
/// kept exactly as written (S3 keys are opaque strings, so no percent-decoding and no path normalisation).
/// </summary>
public sealed record S3Location
{
    public const string Scheme = "s3://";

    public S3Location(string bucket, string key)
    {
        ValidateBucket(bucket, $"{Scheme}{bucket}/{key}");
        ArgumentNullException.ThrowIfNull(key);
        Bucket = bucket;
        Key = key;
    }

    public string Bucket { get; }

    /// <summary>The object key, or for a prefix "" (the whole bucket) or a string ending in '/'.</summary>
    public string Key { get; }

    public bool IsPrefix => Key.Length == 0 || Key.EndsWith('/');

    public static bool IsS3Uri(string location) =>
        location is not null && location.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <c>s3://bucket/key</c> naming one object: bucket and key are required.</summary>
    /// <exception cref="ArgumentException">The text is not an S3 object location.</exception>
    public static S3Location Parse(string uri)
    {
        var (bucket, key) = Split(uri);
        if (key.Length == 0 || key.EndsWith('/'))
        {
            throw new ArgumentException($"'{uri}' names a bucket or prefix, not an object: expected s3://bucket/key.", nameof(uri));
        }

        return new S3Location(bucket, key);
    }

    /// <summary>Parses <c>s3://bucket</c>, <c>s3://bucket/</c> or <c>s3://bucket/dir</c>; a non-empty prefix gets a trailing '/'.</summary>
    public static S3Location ParsePrefix(string uri)
    {
        var (bucket, key) = Split(uri);
        return new S3Location(bucket, key.Length == 0 || key.EndsWith('/') ? key : key + "/");
    }

    /// <summary>An object under this prefix.</summary>
    public S3Location Child(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!IsPrefix)
        {
            throw new InvalidOperationException($"{this} is an object, not a prefix.");
        }

        return new S3Location(Bucket, Key + name.TrimStart('/'));
    }

    public override string ToString() => $"{Scheme}{Bucket}/{Key}";

    private static (string Bucket, string Key) Split(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!IsS3Uri(uri))
        {
            throw new ArgumentException($"'{uri}' is not an S3 location: expected s3://bucket/key.", nameof(uri));
        }

        var rest = uri[Scheme.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? rest : rest[..slash];
        var key = slash < 0 ? "" : rest[(slash + 1)..];
        ValidateBucket(bucket, uri);
        return (bucket, key);
    }

    /// <summary>S3's naming rules (3–63 of a-z 0-9 . -, alphanumeric at both ends), so a typo fails here, not as a 400.</summary>
    private static void ValidateBucket(string bucket, string uri)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        if (bucket.Length == 0)
        {
            throw new ArgumentException($"'{uri}' has no bucket name: expected s3://bucket/key.", nameof(uri));
        }

        var valid = bucket.Length is >= 3 and <= 63
            && IsLowerAlphanumeric(bucket[0])
            && IsLowerAlphanumeric(bucket[^1])
            && bucket.All(c => IsLowerAlphanumeric(c) || c is '.' or '-');
        if (!valid)
        {
            throw new ArgumentException(
                $"'{uri}': '{bucket}' is not a valid bucket name (3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit).",
                nameof(uri));
        }
    }

    private static bool IsLowerAlphanumeric(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c);
}
