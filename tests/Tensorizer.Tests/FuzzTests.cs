using Tensorizer.Format;
using Tensorizer.Reading;

namespace Tensorizer.Tests;

/// <summary>
/// Random header and index mutations (seeded, so a failure replays): each case must load or fail with a
/// <see cref="TensorizerException"/>, quickly: never another exception type, a crash or a hang.
/// </summary>
public class FuzzTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(4, 5)]
    public async Task Mutated_headers_load_or_fail_with_a_typed_error(int seed, uint version)
    {
        // Version 5 entries carry a u32 entry version, and the long one u64 dims: a little more index.
        var builder = new RawFileBuilder { Version = version, MetadataSize = version >= 5 ? 184 : 160 };
        var original = (version >= 5
                ? builder.AddLong("transformer.wte.weight", "<f2", [4, 3], TestFiles.Bytes(24))
                : builder.Add("transformer.wte.weight", "<f2", [4, 3], TestFiles.Bytes(24)))
            .Add(version >= 2 ? "ln.bias" : "ln.b", version >= 2 ? "<V2\0torch.bfloat16" : "<f4", [3], TestFiles.Bytes(version >= 2 ? 6 : 12))
            .Add("s", "<i8", [], TestFiles.Bytes(8), kind: 2)
            .Build();
        var random = new Random(seed);
        var outcomes = new Dictionary<string, int>();

        for (var i = 0; i < 1500; i++)
        {
            var file = (byte[])original.Clone();
            for (var m = random.Next(1, 4); m > 0; m--)
            {
                var at = random.Next(file.Length);
                file[at] = random.Next(3) switch
                {
                    0 => (byte)random.Next(256),
                    1 => (byte)(file[at] ^ (1 << random.Next(8))),
                    _ => random.Next(2) == 0 ? (byte)0 : (byte)0xFF,
                };
            }

            var length = random.Next(10) == 0 ? random.Next(file.Length) : file.Length;
            var outcome = await LoadAsync(file[..length], i);
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        // The corpus exercises both paths: some mutations land in padding, most are caught.
        Assert.True(outcomes.GetValueOrDefault("loaded") > 0, string.Join(", ", outcomes));
        Assert.True(outcomes.Count > 2, string.Join(", ", outcomes));
    }

    private static async Task<string> LoadAsync(byte[] file, int caseNumber)
    {
        try
        {
            await TestFiles.ReadAllAsync(file, new LoadOptions { Readers = 2, ChunkSize = 4096, VerifyHashes = true })
                .WaitAsync(TimeSpan.FromSeconds(10));
            return "loaded";
        }
        catch (TensorizerException e)
        {
            return e.GetType().Name;
        }
        catch (Exception e) when (e is not TimeoutException)
        {
            throw new InvalidOperationException($"Case {caseNumber}: untyped failure {e.GetType().Name}: {e.Message}", e);
        }
    }
}
