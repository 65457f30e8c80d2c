using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using Checkpoints.Builtin;
using Microsoft.ML.Tokenizers;

namespace Models.Tokenization;

/// <summary>
/// A model folder's GPT-2-style byte-level BPE tokenizer (GPT-J's), read from the files Hugging Face saves:
/// <c>vocab.json</c> + <c>merges.txt</c> (with <c>added_tokens.json</c> when present), or <c>tokenizer.json</c> alone.
/// Words are split by Microsoft.ML.Tokenizers' regex pre-tokenizer and merged by <see cref="BpeMerges"/> (the same
/// ids as its BPE, in O(n log n)); decoding maps ids to bytes here, so <see cref="Decode"/> and
/// <see cref="StreamingDecoder"/> agree byte for byte. Thread-safe. GPT-2's post-processor adds no tokens, so
/// encoding with or without special tokens is the same; <c>&lt;|endoftext|&gt;</c> is its beginning-, end-of-text
/// and unknown token, and its one special token (as transformers' GPT2Tokenizer has it).
/// </summary>
public sealed partial class ModelTokenizer : ITextTokenizer
{
    public const string EndOfTextToken = Gpt2TokenizerFiles.EndOfTextToken;
    public const string VocabFile = Gpt2TokenizerFiles.VocabFile;
    public const string MergesFile = Gpt2TokenizerFiles.MergesFile;
    public const string TokenizerJsonFile = "tokenizer.json";
    public const string AddedTokensFile = "added_tokens.json";
    private const string ConfigFile = "config.json";

    // Ids size the decode table, so an absurd one is refused before it allocates.
    private const int MaxTokenId = 1 << 24;

    /// <summary>GPT-2's <c>bytes_to_unicode</c>: the character each byte is spelled with in vocab and merges.</summary>
    internal static readonly char[] ByteToChar = [.. Gpt2TokenizerFiles.ByteToChar];

    private static readonly short[] CharToByte = InvertAlphabet(ByteToChar);

    private readonly PreTokenizer _preTokenizer;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _specialTokens;
    private readonly BpeMerges _merges;
    private readonly int[] _byteIds; // the vocabulary id of each byte's character, -1 for none
    private readonly bool _encodesEveryByte;
    private readonly int _longestWordToken; // in byte-level characters, that is bytes of text
    private readonly byte[]?[] _tokenBytes;
    private readonly bool _addPrefixSpace;

    private ModelTokenizer(TokenizerFiles files, Dictionary<string, int> specialTokens, BpeMerges merges, byte[]?[] tokenBytes, int? endOfTextId)
    {
        _preTokenizer = new RegexPreTokenizer(Gpt2PreTokenizerRegex(), specialTokens);
        _specialTokens = specialTokens.GetAlternateLookup<ReadOnlySpan<char>>();
        _merges = merges;
        _byteIds = [.. ByteToChar.Select(c => files.Vocabulary.TryGetValue(c.ToString(), out var id) ? id : -1)];
        _encodesEveryByte = !_byteIds.Contains(-1);
        _longestWordToken = files.Vocabulary.Keys.Max(token => token.Length);
        LongestTokenBytes = Math.Max(_longestWordToken, specialTokens.Keys.Select(Encoding.UTF8.GetByteCount).DefaultIfEmpty(0).Max());
        _tokenBytes = tokenBytes;
        _addPrefixSpace = files.AddPrefixSpace;
        EndOfTextId = endOfTextId;
        var endOfTextToken = specialTokens.TryGetValue(EndOfTextToken, out var special) ? new SpecialToken(EndOfTextToken, special) : null;
        SpecialTokens = new SpecialTokens(endOfTextToken, endOfTextToken, null, endOfTextToken, endOfTextToken is null ? new HashSet<int>() : [special]);
    }

    /// <summary>The id of <c>&lt;|endoftext|&gt;</c> (from the vocabulary or added tokens), else config.json's eos_token_id.</summary>
    public int? EndOfTextId { get; }

    /// <summary>One past the largest id the tokenizer knows (50257 for GPT-2; a model's embedding may be larger).</summary>
    public int VocabularySize => _tokenBytes.Length;

    public SpecialTokens SpecialTokens { get; }

    /// <summary>Reads the tokenizer of a model folder; <c>vocab.json</c> + <c>merges.txt</c> win over <c>tokenizer.json</c>.</summary>
    /// <exception cref="FileNotFoundException">The folder has no tokenizer files.</exception>
    /// <exception cref="InvalidDataException">A tokenizer file is malformed; the message names it.</exception>
    /// <exception cref="NotSupportedException">tokenizer.json describes something other than byte-level BPE.</exception>
    public static ModelTokenizer Load(string modelFolder)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelFolder);
        var vocabPath = Path.Combine(modelFolder, VocabFile);
        var mergesPath = Path.Combine(modelFolder, MergesFile);
        var jsonPath = Path.Combine(modelFolder, TokenizerJsonFile);
        TokenizerFiles files;
        if (File.Exists(vocabPath) && File.Exists(mergesPath))
        {
            var addedPath = Path.Combine(modelFolder, AddedTokensFile);
            files = new TokenizerFiles(
                vocabPath,
                mergesPath,
                ReadTokenIdsFile(vocabPath, allowEmpty: false),
                ReadMergesFile(mergesPath),
                File.Exists(addedPath) ? ReadTokenIdsFile(addedPath, allowEmpty: true) : [],
                AddPrefixSpace: false);
        }
        else if (File.Exists(jsonPath))
        {
            files = ReadTokenizerJson(jsonPath);
        }
        else
        {
            var missing = File.Exists(vocabPath) ? mergesPath : File.Exists(mergesPath) ? vocabPath : null;
            throw new FileNotFoundException(missing is not null
                ? $"{missing} is missing (it goes with {(missing == vocabPath ? MergesFile : VocabFile)})."
                : $"{modelFolder} has no tokenizer: expected {VocabFile} + {MergesFile}, or {TokenizerJsonFile}.", missing ?? jsonPath);
        }

        return Create(files, modelFolder);
    }

    /// <summary>
    /// The text of <paramref name="ids"/>; ids without a token (a model's padding rows) decode to nothing, invalid
    /// UTF-8 to U+FFFD; <paramref name="skipSpecialTokens"/> drops <c>&lt;|endoftext|&gt;</c>.
    /// </summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new ArrayBufferWriter<byte>();
        foreach (var id in ids)
        {
            bytes.Write(TokenBytes(id, skipSpecialTokens));
        }

        return Encoding.UTF8.GetString(bytes.WrittenSpan);
    }

    /// <summary>Token ids for <paramref name="text"/>: GPT-2 adds no special tokens, so <paramref name="addSpecialTokens"/> changes nothing.</summary>
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens) => Encode(text);

    /// <summary>As <see cref="Encode(string, int, CancellationToken)"/>: GPT-2 adds no special tokens.</summary>
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens, int maxTokens, CancellationToken cancellationToken) =>
        Encode(text, maxTokens, cancellationToken);

    public ITokenStreamDecoder CreateStreamDecoder(IReadOnlyList<int> context, bool skipSpecialTokens) => new StreamingDecoder(this, context, skipSpecialTokens);

    /// <summary>The raw bytes of one token; empty for an id without a token, or a special token being skipped.</summary>
    internal ReadOnlySpan<byte> TokenBytes(int id, bool skipSpecialTokens = false) =>
        (uint)id < (uint)_tokenBytes.Length && !(skipSpecialTokens && id == SpecialTokens.EndOfText?.Id) ? _tokenBytes[id] : default;

    private static ModelTokenizer Create(TokenizerFiles files, string modelFolder)
    {
        var specialTokens = new Dictionary<string, int>(files.AddedTokens, StringComparer.Ordinal);
        if (files.Vocabulary.TryGetValue(EndOfTextToken, out var vocabEndOfText))
        {
            specialTokens.TryAdd(EndOfTextToken, vocabEndOfText);
        }

        var source = files.VocabSource == files.MergesSource ? files.VocabSource : $"{files.VocabSource} + {files.MergesSource}";
        var merges = BpeMerges.Create(files.Merges, files.Vocabulary, source);
        var endOfText = specialTokens.TryGetValue(EndOfTextToken, out var id) ? id : ReadConfigEndOfText(modelFolder);
        return new ModelTokenizer(files, specialTokens, merges, BuildTokenBytes(files.Vocabulary, specialTokens, files.VocabSource), endOfText);
    }

    private static byte[]?[] BuildTokenBytes(Dictionary<string, int> vocabulary, Dictionary<string, int> specialTokens, string source)
    {
        var size = Math.Max(vocabulary.Values.Max(), specialTokens.Count == 0 ? 0 : specialTokens.Values.Max()) + 1;
        var table = new byte[]?[size];
        foreach (var (token, id) in vocabulary)
        {
            table[id] = table[id] is null ? ByteLevelBytes(token)
                : throw new InvalidDataException($"{source}: the id {id} is given to two tokens, one of them '{token}'.");
        }

        // Added tokens are stored as plain text, not in the byte-level spelling.
        foreach (var (token, id) in specialTokens)
        {
            table[id] = Encoding.UTF8.GetBytes(token);
        }

        return table;
    }

    private static byte[] ByteLevelBytes(string token)
    {
        var bytes = new byte[token.Length];
        for (var i = 0; i < token.Length; i++)
        {
            var c = token[i];
            if (c >= CharToByte.Length || CharToByte[c] < 0)
            {
                return Encoding.UTF8.GetBytes(token); // not byte-level spelled: a literal token
            }

            bytes[i] = (byte)CharToByte[c];
        }

        return bytes;
    }

    private static short[] InvertAlphabet(char[] alphabet)
    {
        var bytes = new short[alphabet.Max() + 1];
        Array.Fill(bytes, (short)-1);
        for (var b = 0; b < alphabet.Length; b++)
        {
            bytes[alphabet[b]] = (short)b;
        }

        return bytes;
    }

    // GPT-2's pre-tokenizer (tiktoken's r50k/p50k pattern): contractions, letters, digits, other symbols, whitespace.
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    internal static partial Regex Gpt2PreTokenizerRegex();
}
