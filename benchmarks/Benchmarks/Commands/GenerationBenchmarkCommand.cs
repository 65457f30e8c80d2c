using System.CommandLine;
using System.Diagnostics;
using Models;
using Models.Architectures;
using Models.Blocks;
using Models.Generation;
using Models.TinyModel;
using static Benchmarks.Support.BenchmarkTable;
using static TorchSharp.torch;

namespace Benchmarks.Commands;

/// <summary>
/// <c>benchmark-generation</c>: for the tiny GPT-J, a GPT-J-shaped 12 × 768 model and a Llama-shaped 12 × 768 model
/// with grouped-query attention (random weights), the load time from <c>.tensors</c>, prefill and decode tokens/s, one
/// decode step with the KV cache against recomputing all 256 tokens, and greedy throughput at batch 1, 4 and 8.
/// </summary>
internal static class GenerationBenchmarkCommand
{
    public static Command Create()
    {
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads (0 = libtorch's default).", DefaultValueFactory = _ => 0 };
        var command = new Command("benchmark-generation", "Measure GPT-J and Llama prefill/decode speed, KV cache gain and batching.") { threads };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(threads) > 0)
            {
                set_num_threads(parse.GetValue(threads));
            }

            var root = Directory.CreateTempSubdirectory("gptj-bench-").FullName;
            try
            {
                var tiny = Path.Combine(root, "tiny");
                await TinyGptj.WriteAsync(tiny, ct);
                await MeasureAsync("tiny GPT-J (2 × 64)", tiny, ct);

                var medium = Path.Combine(root, "12x768");
                await RandomGptj.WriteAsync(medium, RandomGptj.Medium, ct);
                await MeasureAsync("GPT-J-shaped 12 × 768", medium, ct);

                var llama = Path.Combine(root, "llama-12x768");
                await RandomLlama.WriteAsync(llama, RandomLlama.Medium, ct);
                await MeasureAsync("Llama-shaped 12 × 768, GQA 12/4 heads", llama, ct);
            }
            finally
            {
                Directory.Delete(root, recursive: true);
            }

            return 0;
        });
        return command;
    }

    private static async Task MeasureAsync(string name, string folder, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var generator = await ModelFolder.LoadAsync(folder, cancellationToken: ct);
        var load = clock.Elapsed.TotalMilliseconds;
        var model = generator.Model;
        Print("");
        Print($"{name}: {((nn.Module)model).parameters().Sum(p => p.numel()) / 1e6:0.0} M parameters, loaded from .tensors in {load:0} ms, KV cache {((TransformerForCausalLM)model).KeyValueBytesPerToken / 1024.0:0} KiB per token");

        var prompt = Enumerable.Range(0, 256).Select(i => (long)((i * 7919) % 50000)).ToArray();
        Forward(model, prompt[..16], cached: 0); // warm-up
        var prefill = Best(3, () => Forward(model, prompt[..128], cached: 0));
        Print($"  prefill 128 tokens: {128 / prefill,8:0} tokens/s");

        // One new token at position 255: with 255 tokens cached, and by recomputing all 256.
        var cachedStep = Best(5, () => Forward(model, prompt, cached: 255));
        var recompute = Best(3, () => Forward(model, prompt, cached: 0));
        Print($"  next token at 256: KV cache {cachedStep * 1000:0.00} ms, full recomputation {recompute * 1000:0.00} ms: {recompute / cachedStep:0.0}× faster with the cache");

        foreach (var batch in new[] { 1, 4, 8 })
        {
            var prompts = Enumerable.Range(0, batch).Select(b => (IReadOnlyList<int>)[.. prompt.Skip(b).Take(32).Select(t => (int)t)]).ToList();
            var options = Enumerable.Repeat(new GenerationOptions { MaxNewTokens = 32, StopAtEndOfText = false }, batch).ToList();
            var seconds = Best(2, () => Time(() => generator.Generate(prompts, options, onToken: null, cancellationToken: ct)));
            Print($"  greedy decode, batch {batch}: {batch * 32 / seconds,8:0} tokens/s ({32 / seconds:0} steps/s)");
        }
    }

    /// <summary>Seconds for one forward pass over the tokens after the first <paramref name="cached"/> (prefilled untimed).</summary>
    private static double Forward(ICausalLanguageModel model, long[] tokens, int cached)
    {
        using var scope = NewDisposeScope();
        using var cache = model.CreateCache(1, tokens.Length);
        var mask = ones(1, tokens.Length, ScalarType.Int64);
        if (cached > 0)
        {
            model.Forward(tensor(tokens[..cached]).unsqueeze(0), arange(cached, ScalarType.Int64).unsqueeze(0), mask.narrow(1, 0, cached), cache, lastTokenOnly: true);
        }

        var clock = Stopwatch.StartNew();
        model.Forward(tensor(tokens[cached..]).unsqueeze(0), arange(cached, tokens.Length, ScalarType.Int64).unsqueeze(0), mask, cache, lastTokenOnly: true);
        return clock.Elapsed.TotalSeconds;
    }
}
