using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Tensorizer.Format;
using Tensorizer.Reading;

namespace Downloader.Commands;

/// <summary>
/// <c>inspect FILE [--json]</c>: the header and index, each tensor's stored hashes, and bytes the index does not
/// account for (as warnings; <c>verify</c> fails on them), without reading data.
/// </summary>
internal static class InspectCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var location = new LocationOptions();
        var json = new Option<bool>("--json") { Description = "Print the same as JSON." };
        var command = new Command("inspect", "Show a .tensors file's version, counts, bytes and tensor table (or a safetensors checkpoint's shards and tensors).") { json };
        location.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            if (location.IsSafetensors(parse))
            {
                return await SafetensorsCommands.InspectAsync(location, parse, parse.GetValue(json), ct);
            }

            await using var tensors = await location.OpenAsync(parse, ct);
            var headers = await Task.WhenAll(tensors.Index.Select(e => tensors.ReadHeaderAsync(e, ct)));
            var rows = tensors.Index.Zip(headers, (entry, header) => (entry, header.Header)).ToList();
            var account = await FileAccounting.CheckAsync(tensors, ct);
            Console.Out.Write(parse.GetValue(json) ? AsJson(tensors, account, rows) : AsTable(tensors, account, rows));
            return ExitCodes.Success;
        });
        return command;
    }

    private static string AsJson(TensorFile tensors, FileAccount account, List<(TensorEntry Entry, TensorHeader Header)> rows) => JsonSerializer.Serialize(
        new
        {
            file = tensors.Source.Location,
            version = tensors.Header.Version,
            tensorCount = tensors.Index.Count,
            fileBytes = tensors.Source.Length,
            dataBytes = tensors.Index.DataBytes,
            metadataBytes = tensors.Header.MetadataSize,
            terminator = account.HasTerminator,
            unaccounted = account.Unaccounted.Select(u => new { offset = u.Offset, length = u.Length, reason = u.Reason }),
            tensors = rows.Select(r => new
            {
                name = r.Entry.Name.Text,
                type = KindName(r.Entry.Kind),
                dtype = DtypeName(r.Entry.Dtype),
                shape = r.Entry.Shape,
                headerOffset = r.Entry.HeaderOffset,
                dataOffset = r.Entry.DataOffset,
                dataLength = r.Entry.DataLength,
                meta = r.Entry.IsMeta,
                moduleIndex = r.Header.ModuleIndex,
                hashes = r.Header.Hashes.ToDictionary(h => h.Type == HashType.Crc32 ? "crc32" : "sha256", h => h.Hex),
            }),
        },
        Indented) + Environment.NewLine;

    private static string AsTable(TensorFile tensors, FileAccount account, List<(TensorEntry Entry, TensorHeader Header)> rows)
    {
        var text = new System.Text.StringBuilder();
        var culture = CultureInfo.InvariantCulture;
        text.AppendLine(culture, $"{tensors.Source.Location}");
        text.AppendLine(culture, $"format version {tensors.Header.Version}, {tensors.Index.Count} tensors, {Bytes(tensors.Index.DataBytes)} of data in {Bytes(tensors.Source.Length)}");
        foreach (var unaccounted in account.Unaccounted)
        {
            text.AppendLine(culture, $"WARNING: unaccounted {unaccounted}");
        }

        if (account.IsWhole && !account.HasTerminator)
        {
            text.AppendLine("note: no terminator after the last tensor (tensorizer 1.1.0 cannot read the file)");
        }

        var nameWidth = Math.Max(4, rows.Max(r => r.Entry.Name.Text.Length));
        text.AppendLine(culture, $"{"name".PadRight(nameWidth)}  {"type",-10}  {"dtype",-10}  {"shape",-18}  {"offset",12}  {"bytes",12}");
        foreach (var (entry, _) in rows)
        {
            var shape = "[" + string.Join(", ", entry.Shape) + "]" + (entry.IsMeta ? " meta" : "");
            text.AppendLine(culture, $"{entry.Name.Text.PadRight(nameWidth)}  {KindName(entry.Kind),-10}  {DtypeName(entry.Dtype),-10}  {shape,-18}  {entry.DataOffset,12}  {entry.DataLength,12}");
        }

        return text.ToString();
    }

    private static string KindName(TensorKind kind) => kind switch
    {
        TensorKind.Parameter => "param",
        TensorKind.Buffer => "buffer",
        _ => "state_dict",
    };

    internal static string DtypeName(TensorDtype dtype) => dtype.IsOpaque ? dtype.ElementType.ToString().ToLowerInvariant() : dtype.Text;

    internal static string Bytes(long bytes) => bytes >= 1 << 30
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1 << 30):0.00} GiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1 << 20):0.0} MiB");
}
