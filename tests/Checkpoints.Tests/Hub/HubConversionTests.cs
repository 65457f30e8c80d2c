using System.Text;
using Checkpoints.Conversion;
using Checkpoints.Outputs;
using Checkpoints.Sources;
using Models;
using Models.Generation;

namespace Checkpoints.Tests.Hub;

/// <summary>Conversions from a Hugging Face- and ModelScope-compatible hub on 127.0.0.1: listing, resolve, redirects, Range, hashes.</summary>
public sealed class HubConversionTests(HubFixture fixture) : IClassFixture<HubFixture>, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("checkpoints-hub-test-").FullName;

    private HubServer Hub => fixture.Hub;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private SourceSettings Settings(string? token = null) => new()
    {
        HuggingFaceEndpoint = Hub.Endpoint,
        ModelScopeEndpoint = Hub.Endpoint,
        HuggingFaceToken = token,
        ModelScopeToken = token,
        Attempts = 3,
    };

    private static readonly Dictionary<string, byte[]> Extras = new()
    {
        ["README.md"] = Encoding.UTF8.GetBytes("# tiny gpt-j"),
        ["flax_model.msgpack"] = new byte[4096],
        ["onnx/decoder_model.onnx"] = new byte[2048],
    };

    [Fact]
    public async Task A_Hugging_Face_repository_converts_resuming_a_dropped_shard_and_generates_like_the_original()
    {
        Hub.AddRepository("tiny/gptj-hf", "0123456789abcdef0123456789abcdef01234567", fixture.Checkpoint, Extras);
        Hub.RequiredToken = "hf_secret";
        Hub.DropOnce("tiny/gptj-hf", "model-00001-of-00002.safetensors", 3 << 20);
        try
        {
            var output = Path.Combine(_root, "gptj");
            var result = await ModelConverter.ConvertAsync(new ConversionRequest
            {
                Source = "hf://tiny/gptj-hf",
                Output = output,
                Settings = Settings("hf_secret"),
            });

            Assert.Equal("0123456789abcdef0123456789abcdef01234567", result.Revision);
            Assert.Equal(
                [CompletionMarker.FileName, "config.json", "merges.txt", "model.tensors", "vocab.json"],
                Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.False(Directory.Exists(Path.Combine(output, ".download")));
            await AssertGeneratesLikeOriginalAsync(output);

            var requests = Hub.Requests.ToList();
            Assert.Contains(requests, r => r.StartsWith("GET /tiny/gptj-hf/resolve/0123456789abcdef0123456789abcdef01234567/model-00001", StringComparison.Ordinal));
            // The dropped download resumed from where the bytes that arrived ended (up to the 3 MiB the server sent).
            Assert.Contains(requests, r => r.StartsWith("GET /cdn/", StringComparison.Ordinal) && r.Contains("file=model-00001", StringComparison.Ordinal)
                && r.Contains("range=bytes=", StringComparison.Ordinal) && !r.Contains("range=bytes=0-", StringComparison.Ordinal));
            Assert.All(requests.Where(r => r.StartsWith("GET /cdn/", StringComparison.Ordinal)), r => Assert.EndsWith("auth=False", r, StringComparison.Ordinal));
            Assert.DoesNotContain(requests, r => r.Contains("README", StringComparison.Ordinal) || r.Contains("flax", StringComparison.Ordinal) || r.Contains("onnx", StringComparison.Ordinal));
        }
        finally
        {
            Hub.RequiredToken = null;
        }
    }

    [Fact]
    public async Task A_stalled_download_times_out_and_resumes()
    {
        Hub.AddRepository("tiny/stall", "5a11", fixture.Checkpoint);
        Hub.StallOnce("tiny/stall", "model-00002-of-00002.safetensors", 1 << 20);
        var output = Path.Combine(_root, "gptj");
        using var hang = new CancellationTokenSource(TimeSpan.FromMinutes(2)); // without the read timeout, it would wait forever
        await ModelConverter.ConvertAsync(
            new ConversionRequest { Source = "hf://tiny/stall", Output = output, Settings = Settings() with { ReadTimeout = TimeSpan.FromSeconds(1) } },
            cancellationToken: hang.Token);
        Assert.Contains(Hub.Requests, r => r.Contains("file=model-00002", StringComparison.Ordinal) && r.Contains("range=bytes=", StringComparison.Ordinal)
            && !r.Contains("range=bytes=0-", StringComparison.Ordinal) && r.StartsWith("GET /cdn/", StringComparison.Ordinal));
        await AssertGeneratesLikeOriginalAsync(output);
    }

    [Fact]
    public async Task Large_files_come_in_parallel_chunks_and_a_killed_run_fetches_only_the_missing_ones()
    {
        Hub.AddRepository("tiny/chunks", "c4c4", fixture.Checkpoint);
        var reference = Path.Combine(_root, "reference");
        await ModelConverter.ConvertAsync(new ConversionRequest { Source = "hf://tiny/chunks", Output = reference, Settings = Settings() });

        // 1 MiB chunks, three at a time; the first request for a shard drops part way and is retried.
        var chunked = Settings() with { ChunkSize = 1 << 20, ConnectionsPerFile = 3, ParallelDownloads = 1 };
        Hub.DropOnce("tiny/chunks", "model-00001-of-00002.safetensors", 300_000);
        var output = Path.Combine(_root, "gptj");
        var request = new ConversionRequest { Source = "hf://tiny/chunks", Output = output, Settings = chunked };
        using var kill = new CancellationTokenSource();
        var progress = new SynchronousProgress<ConversionProgress>(p =>
        {
            if (p.Phase == ConversionPhase.Downloading && p.BytesDone > 6 << 20)
            {
                kill.Cancel();
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ModelConverter.ConvertAsync(request, progress, kill.Token));
        var journal = Assert.Single(Directory.GetFiles(Path.Combine(output, ".download"), "*.incomplete.chunks", SearchOption.AllDirectories));
        var finished = File.ReadAllLines(journal).Select(int.Parse).ToHashSet();
        Assert.NotEmpty(finished);

        var before = Hub.Requests.Count;
        await ModelConverter.ConvertAsync(request);
        var rerun = Hub.Requests.Skip(before).Where(r => r.StartsWith("GET /cdn/", StringComparison.Ordinal) && r.Contains("file=model-00001", StringComparison.Ordinal)).ToList();
        Assert.All(finished, chunk => Assert.DoesNotContain(rerun, r => r.Contains($"range=bytes={chunk << 20}-{((chunk + 1) << 20) - 1} ", StringComparison.Ordinal)));
        Assert.Contains(Hub.Requests, r => r.Contains("range=bytes=1048576-2097151 ", StringComparison.Ordinal));
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(reference, "model.tensors")), await File.ReadAllBytesAsync(Path.Combine(output, "model.tensors")));
        Assert.Empty(Directory.GetFiles(output, "*.chunks", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_server_that_ignores_ranges_is_downloaded_whole()
    {
        Hub.AddRepository("tiny/norange", "0000", fixture.Checkpoint);
        Hub.IgnoreRanges = true;
        try
        {
            var output = Path.Combine(_root, "gptj");
            await ModelConverter.ConvertAsync(new ConversionRequest
            {
                Source = "hf://tiny/norange",
                Output = output,
                Settings = Settings() with { ChunkSize = 1 << 20, ConnectionsPerFile = 3 },
            });
            await AssertGeneratesLikeOriginalAsync(output);
        }
        finally
        {
            Hub.IgnoreRanges = false;
        }
    }

    [Fact]
    public async Task A_ModelScope_repository_converts_and_a_second_run_is_skipped()
    {
        Hub.AddRepository("AI-ModelScope/tiny-gptj", "c0ffee", fixture.Checkpoint, Extras);
        var output = Path.Combine(_root, "gptj");
        var request = new ConversionRequest { Source = "modelscope://AI-ModelScope/tiny-gptj", Output = output, Settings = Settings() };
        var result = await ModelConverter.ConvertAsync(request);
        Assert.StartsWith("master:", result.Revision, StringComparison.Ordinal);
        await AssertGeneratesLikeOriginalAsync(output);
        Assert.Contains(Hub.Requests, r => r.StartsWith("GET /api/v1/models/AI-ModelScope/tiny-gptj/repo?Revision=master&FilePath=model-00002-of-00002.safetensors", StringComparison.Ordinal));

        Assert.True((await ModelConverter.ConvertAsync(request)).Skipped);
    }

    [Fact]
    public async Task A_shard_that_does_not_match_its_published_sha256_fails_and_nothing_looks_complete()
    {
        Hub.AddRepository("tiny/corrupt", "feedface", fixture.Checkpoint);
        Hub.Corrupt("tiny/corrupt", "model-00002-of-00002.safetensors");
        var output = Path.Combine(_root, "gptj");
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ModelConverter.ConvertAsync(
            new ConversionRequest { Source = "hf://tiny/corrupt", Output = output, Settings = Settings() }));
        Assert.Contains("does not match its published sha256", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(output, CompletionMarker.FileName)));
        Assert.False(File.Exists(Path.Combine(output, "model.tensors")));
        Assert.Empty(Directory.GetFiles(output, "model-00002*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Missing_repositories_bad_tokens_and_unreachable_hubs_are_clear_errors()
    {
        var output = Path.Combine(_root, "gptj");
        var missing = await Assert.ThrowsAsync<HttpRequestException>(() => ModelConverter.ConvertAsync(
            new ConversionRequest { Source = "hf://nobody/nothing@main", Output = output, Settings = Settings() }));
        Assert.Contains("404", missing.Message, StringComparison.Ordinal);
        Assert.Contains("no such repository", missing.Message, StringComparison.Ordinal);

        var missingMs = await Assert.ThrowsAsync<HttpRequestException>(() => ModelConverter.ConvertAsync(
            new ConversionRequest { Source = "modelscope://nobody/nothing", Output = output, Settings = Settings() }));
        Assert.Contains("404", missingMs.Message, StringComparison.Ordinal);

        Hub.AddRepository("tiny/private", "abc", fixture.Checkpoint);
        Hub.RequiredToken = "right";
        try
        {
            var denied = await Assert.ThrowsAsync<HttpRequestException>(() => ModelConverter.ConvertAsync(
                new ConversionRequest { Source = "hf://tiny/private", Output = output, Settings = Settings("wrong") }));
            Assert.Contains("401", denied.Message, StringComparison.Ordinal);
            Assert.Contains("HF_TOKEN", denied.Message, StringComparison.Ordinal);
        }
        finally
        {
            Hub.RequiredToken = null;
        }

        using var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var unreachable = await Assert.ThrowsAsync<HttpRequestException>(() => ModelConverter.ConvertAsync(new ConversionRequest
        {
            Source = "hf://tiny/gptj",
            Output = output,
            Settings = Settings() with { HuggingFaceEndpoint = new Uri($"http://127.0.0.1:{port}/") },
        }));
        Assert.Contains("refused", unreachable.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(Path.Combine(output, CompletionMarker.FileName)));
    }

    [Fact]
    public async Task Listed_file_names_that_escape_the_download_folder_are_refused()
    {
        Hub.AddRepository("tiny/evil", "bad", fixture.Checkpoint, new Dictionary<string, byte[]> { ["../../escaped.json"] = [1, 2, 3] });
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ModelConverter.ConvertAsync(new ConversionRequest
        {
            Source = "hf://tiny/evil",
            Output = Path.Combine(_root, "gptj"),
            Include = ["**/*"],
            Settings = Settings(),
        }));
        Assert.Contains("outside the folder", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_root, "escaped.json")));
    }

    [Fact]
    public async Task A_conversion_killed_while_downloading_resumes_on_the_next_run_and_gives_identical_bytes()
    {
        Hub.AddRepository("tiny/resume", "1111", fixture.Checkpoint);
        var reference = Path.Combine(_root, "reference");
        await ModelConverter.ConvertAsync(new ConversionRequest { Source = "hf://tiny/resume", Output = reference, Settings = Settings() });

        var output = Path.Combine(_root, "gptj");
        var request = new ConversionRequest { Source = "hf://tiny/resume", Output = output, Settings = Settings() with { ParallelDownloads = 1 } };
        using var kill = new CancellationTokenSource();
        var progress = new SynchronousProgress<ConversionProgress>(p =>
        {
            if (p.Phase == ConversionPhase.Downloading && p.BytesDone > 4 << 20)
            {
                kill.Cancel();
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ModelConverter.ConvertAsync(request, progress, kill.Token));
        var partial = Directory.GetFiles(Path.Combine(output, ".download"), "*.incomplete", SearchOption.AllDirectories);
        Assert.NotEmpty(partial);
        var resumedFrom = new FileInfo(Assert.Single(partial)).Length;
        Assert.False(File.Exists(Path.Combine(output, CompletionMarker.FileName)));

        Assert.False((await ModelConverter.ConvertAsync(request)).Skipped);
        Assert.Contains(Hub.Requests, r => r.Contains($"range=bytes={resumedFrom}-", StringComparison.Ordinal));
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(reference, "model.tensors")), await File.ReadAllBytesAsync(Path.Combine(output, "model.tensors")));
    }

    [Fact]
    public async Task A_repository_publishing_only_a_pytorch_bin_checkpoint_converts()
    {
        var checkpoint = Path.Combine(_root, "bin-checkpoint");
        await TinyPyTorchCheckpoint.WriteAsync(fixture.Original, checkpoint);
        Hub.AddRepository("EleutherAI/gpt-j-tiny-bin", "b1b1", checkpoint);
        var output = Path.Combine(_root, "gptj");
        await ModelConverter.ConvertAsync(new ConversionRequest { Source = "hf://EleutherAI/gpt-j-tiny-bin@b1b1", Output = output, Settings = Settings() });
        await AssertGeneratesLikeOriginalAsync(output);
    }

    private async Task AssertGeneratesLikeOriginalAsync(string output)
    {
        using var expected = await ModelFolder.LoadAsync(fixture.Original);
        using var converted = await ModelFolder.LoadAsync(output);
        Assert.Equal(Logits(expected), Logits(converted)); // the same weights: the same logits, exactly

        var greedy = new GenerationOptions { MaxNewTokens = 6, StopAtEndOfText = false };
        Assert.Equal(expected.Generate(["Once upon a time"], greedy)[0].Tokens, converted.Generate(["Once upon a time"], greedy)[0].Tokens);
    }

    /// <summary>The logits of one forward pass over a prompt.</summary>
    private static float[] Logits(TextGenerator generator)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var ids = generator.Tokenizer.Encode("Once upon a time, there was");
        using var cache = generator.Model.CreateCache(1, ids.Count);
        var input = TorchSharp.torch.tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0);
        var positions = TorchSharp.torch.arange(ids.Count, dtype: TorchSharp.torch.ScalarType.Int64).unsqueeze(0);
        var mask = TorchSharp.torch.ones(1, ids.Count, dtype: TorchSharp.torch.ScalarType.Int64);
        return generator.Model.Forward(input, positions, mask, cache).data<float>().ToArray();
    }
}
