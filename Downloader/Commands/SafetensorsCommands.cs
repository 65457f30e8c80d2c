using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tensorizer.Format;
using Tensorizer.Reading;

namespace Downloader.Commands;

/// <summary>
/// <c>inspect</c> and <c>verify</c> of a safetensors checkpoint (a file or a shard index), which the service also
/// serves directly. Opening checks every header as the loader does (limits, offsets inside the file, no overlap, no
/// hole, dtype × shape = length) and, sharded, each shard against the index. Safetensors stores no hashes: verify
/// reads every byte of every shard through the loader, which proves the checkpoint whole and readable, not intact.
/// </summary>
internal static class SafetensorsCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task<int> InspectAsync(LocationOptions location, ParseResult parse, bool json, CancellationToken cancellationToken)
    {
        await using var checkpoint = await location.OpenSafetensorsAsync(parse, cancellationToken);
        var rows = checkpoint.Tensors.Select(entry => (Entry: entry, Shard: ShardName(checkpoint, entry))).ToList();
        Console.Out.Write(json ? AsJson(checkpoint, rows) : AsTable(checkpoint, rows));
        return ExitCodes.Success;
    }

    public static async Task<int> VerifyAsync(LocationOptions location, ParseResult parse, LoadOptions options, CancellationToken cancellationToken)
    {
        await using var checkpoint = await location.OpenSafetensorsAsync(parse, cancellationToken);
        var clock = Stopwatch.StartNew();
        using var scratch = new ScratchTarget(maxChunks: (2 * options.Readers) + 1);
        await checkpoint.LoadAsync(checkpoint.Tensors, _ => scratch, options, new ProgressLine("verify", clock), cancellationToken);
        Console.Error.WriteLine();
        var bytes = checkpoint.Tensors.Sum(e => e.DataLength);
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"OK: {checkpoint.Tensors.Count} tensors in {checkpoint.Shards.Count} shard(s), {InspectCommand.Bytes(bytes)} read in {clock.Elapsed.TotalSeconds:0.00} s, every byte accounted for; safetensors stores no hashes, so their content is not checked"));
        return ExitCodes.Success;
    }

    private static string ShardName(SafetensorsCheckpoint checkpoint, TensorEntry entry) =>
        Path.GetFileName(checkpoint.ShardOf(entry).Location.Split('?')[0]); // a presigned URL's query is not its name

    private static string AsJson(SafetensorsCheckpoint checkpoint, List<(TensorEntry Entry, string Shard)> rows) => JsonSerializer.Serialize(
        new
        {
            file = checkpoint.Location,
            format = "safetensors",
            shards = checkpoint.Shards.Select(s => new { location = s.Location, bytes = s.Length }),
            tensorCount = rows.Count,
            dataBytes = rows.Sum(r => r.Entry.DataLength),
            metadata = checkpoint.Headers.SelectMany(h => h.Metadata).DistinctBy(m => m.Key).ToDictionary(m => m.Key, m => m.Value),
            tensors = rows.Select(r => new
            {
                name = r.Entry.Name.Text,
                dtype = InspectCommand.DtypeName(r.Entry.Dtype),
                shape = r.Entry.Shape,
                shard = r.Shard,
                dataOffset = r.Entry.DataOffset,
                dataLength = r.Entry.DataLength,
            }),
        },
        Indented) + Environment.NewLine;

    private static string AsTable(SafetensorsCheckpoint checkpoint, List<(TensorEntry Entry, string Shard)> rows)
    {
        var text = new System.Text.StringBuilder();
        var culture = CultureInfo.InvariantCulture;
        var fileBytes = checkpoint.Shards.Sum(s => s.Length);
        text.AppendLine(culture, $"{checkpoint.Location}");
        text.AppendLine(culture, $"safetensors, {checkpoint.Shards.Count} shard(s), {rows.Count} tensors, {InspectCommand.Bytes(rows.Sum(r => r.Entry.DataLength))} of data in {InspectCommand.Bytes(fileBytes)}");
        var nameWidth = Math.Max(4, rows.Count == 0 ? 0 : rows.Max(r => r.Entry.Name.Text.Length));
        var shardWidth = Math.Max(5, rows.Count == 0 ? 0 : rows.Max(r => r.Shard.Length));
        text.AppendLine(culture, $"{"name".PadRight(nameWidth)}  {"dtype",-10}  {"shape",-18}  {"shard".PadRight(shardWidth)}  {"offset",12}  {"bytes",12}");
        foreach (var (entry, shard) in rows)
        {
            var shape = "[" + string.Join(", ", entry.Shape) + "]";
            text.AppendLine(culture, $"{entry.Name.Text.PadRight(nameWidth)}  {InspectCommand.DtypeName(entry.Dtype),-10}  {shape,-18}  {shard.PadRight(shardWidth)}  {entry.DataOffset,12}  {entry.DataLength,12}");
        }

        return text.ToString();
    }
}
