using System.CommandLine;
using System.Diagnostics;
using System.Text;
using Checkpoints.Builtin;
using Microsoft.ML.Tokenizers;
using Models.Tokenization;
using Models.Tokenization.HuggingFace;
using static Benchmarks.Support.BenchmarkTable;

namespace Benchmarks.Commands;

/// <summary>
/// <c>benchmark-tokenizers</c>: encode speed of GPT-2's tokenizer by each path on the same texts (our
/// vocab.json + merges.txt BPE, Hugging Face's Rust through Tokenizers.DotNet on tokenizer.json, Microsoft.ML.Tokenizers'
/// tiktoken GPT-2), then any Hugging Face tokenizer folders given (Llama 3.1, Qwen3, Llama 2 from tests/data): load
/// time, encode speed, decode and streaming-decode speed.
/// </summary>
internal static class TokenizerBenchmarkCommand
{
    public static Command Create()
    {
        var folders = new Argument<string[]>("FOLDER") { Description = "Model or tokenizer folders with a tokenizer.json.", Arity = ArgumentArity.ZeroOrMore };
        var megabytes = new Option<double>("--megabytes") { Description = "Size of the mixed text, in MB of UTF-8.", DefaultValueFactory = _ => 1 };
        var command = new Command("benchmark-tokenizers", "Measure tokenizer encode and decode speed: GPT-2 by every path, and Hugging Face tokenizer.json folders.") { folders, megabytes };
        command.SetAction(parse =>
        {
            var texts = Texts(parse.GetValue(megabytes));
            var root = Directory.CreateTempSubdirectory("tokenizer-bench-").FullName;
            try
            {
                var vocab = Path.Combine(root, "vocab");
                Gpt2TokenizerFiles.Write(vocab);
                var json = Path.Combine(root, "json");
                Gpt2TokenizerFiles.WriteTokenizerJson(json);
                Print("GPT-2, three ways (the same ids: checked on each text)");
                var ours = Load(() => ModelTokenizer.Load(vocab), "vocab.json + merges.txt (own O(n log n) BPE)");
                using var hf = Load(() => HuggingFaceTokenizer.Load(json), "tokenizer.json (Hugging Face's Rust via Tokenizers.DotNet)");
                var tiktoken = Load(() => TiktokenTokenizer.CreateForModel("gpt2"), "Microsoft.ML.Tokenizers tiktoken gpt2");
                foreach (var (label, text) in texts)
                {
                    var expected = ours.Encode(text);
                    Encode("vocab.json + merges.txt", label, text, t => ours.Encode(t).Count);
                    Encode("tokenizer.json (HF Rust)", label, text, t => hf.Encode(t).Count);
                    Encode("ML.Tokenizers tiktoken", label, text, t => tiktoken.EncodeToIds(t).Count);
                    Check(expected.SequenceEqual(hf.Encode(text)) && expected.SequenceEqual(tiktoken.EncodeToIds(text)), label);
                }

                foreach (var folder in parse.GetValue(folders) ?? [])
                {
                    Print("");
                    using var tokenizer = Load(() => HuggingFaceTokenizer.Load(folder), folder);
                    foreach (var (label, text) in texts)
                    {
                        Encode("encode (HF Rust)", label, text, t => tokenizer.Encode(t).Count);
                    }

                    var ids = tokenizer.Encode(texts[0].Text);
                    var decode = Best(3, () => Time(() => tokenizer.Decode(ids)));
                    var stream = Best(3, () => Time(() =>
                    {
                        var decoder = tokenizer.CreateStreamDecoder([], skipSpecialTokens: true);
                        foreach (var id in ids)
                        {
                            decoder.Push(id);
                        }

                        decoder.Flush();
                    }));
                    Print($"  {"decode",-26} {ids.Count,9:N0} tokens {decode * 1000,9:F1} ms {ids.Count / decode / 1e6,8:F2} M tokens/s");
                    Print($"  {"streaming decode",-26} {ids.Count,9:N0} tokens {stream * 1000,9:F1} ms {ids.Count / stream / 1e6,8:F2} M tokens/s");
                }
            }
            finally
            {
                Directory.Delete(root, recursive: true);
            }

            return 0;
        });
        return command;
    }

    private static T Load<T>(Func<T> load, string what)
    {
        var clock = Stopwatch.StartNew();
        var tokenizer = load();
        Print($"{what}: loaded in {clock.Elapsed.TotalMilliseconds:0} ms");
        return tokenizer;
    }

    private static void Encode(string what, string label, string text, Func<string, int> encode)
    {
        encode("warm up");
        var tokens = 0;
        var seconds = Best(3, () => Time(() => tokens = encode(text)));
        var bytes = Encoding.UTF8.GetByteCount(text);
        Print($"  {what,-26} {label,-18} {tokens,9:N0} tokens {seconds * 1000,9:F1} ms {bytes / seconds / 1e6,8:F2} MB/s");
    }

    private static void Check(bool same, string label)
    {
        if (!same)
        {
            throw new InvalidOperationException($"The GPT-2 paths disagree on the {label}.");
        }
    }

    /// <summary>A mixed text (words of many scripts, numbers, emoji, code, whitespace runs) and one long word.</summary>
    private static List<(string Label, string Text)> Texts(double megabytes)
    {
        string[] words =
        [
            "the", "quick", "Brown", "FOX", "jumps", "über", "naïve", "café", "résumé", "Ελληνικά", "русский", "日本語", "中文", "한국어",
            "don't", "I'm", "we'll", "3.14", "1,000,000", "🙂", "👍🏽", "foo.bar()", "<html>", "\n\n", "  indented", "return x**2;",
        ];
        var random = new Random(1);
        var mixed = new StringBuilder();
        while (Encoding.UTF8.GetByteCount(mixed.ToString()) < megabytes * 1e6)
        {
            for (var i = 0; i < 10_000; i++)
            {
                mixed.Append(words[random.Next(words.Length)]).Append(random.Next(8) == 0 ? ", " : " ");
            }
        }

        var word = new string([.. Enumerable.Range(0, 100_000).Select(_ => (char)('a' + random.Next(26)))]);
        return [("mixed text", mixed.ToString()), ("100K-letter word", word)];
    }
}
