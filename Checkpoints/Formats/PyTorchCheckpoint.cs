using System.Text;
using Tensorizer.Format;

namespace Checkpoints.Formats;

/// <summary>
/// PyTorch <c>.bin</c> checkpoints (a zip holding a pickle and raw storages), read without executing any code.
/// </summary>
/// <remarks>
/// <c>torch.save</c> (zip serialization, the default since PyTorch 1.6) writes <c>&lt;archive&gt;/data.pkl</c>, a pickle
/// of the state dict in which each tensor is a <c>_rebuild_tensor_v2</c> (or <c>_v3</c>) of a persistent-id storage,
/// and one stored (uncompressed), 64-byte-aligned entry <c>&lt;archive&gt;/data/&lt;key&gt;</c> per storage. The pickle
/// is read by <see cref="TorchPickle"/>, which refuses anything but tensors, storages and (Ordered)dicts; each tensor
/// must be a contiguous view lying within its storage entry, and its bytes are then read straight from the zip.
/// </remarks>
public static class PyTorchCheckpoint
{
    /// <summary>The largest <c>data.pkl</c> accepted; a state dict needs about 200 bytes of pickle per tensor.</summary>
    public const int MaxPickleLength = 32 << 20;

    private static readonly byte[] ZipMagic = "PK\x03\x04"u8.ToArray();

    public static IReadOnlyList<CheckpointTensor> ReadIndex(string path)
    {
        using var handle = File.OpenHandle(path);
        CheckMagic(handle, path);
        var zip = ZipDirectory.Read(handle, path);
        if (zip.Entries.Count == 0 || zip.Entries[0].Name.IndexOf('/', StringComparison.Ordinal) is var slash && slash <= 0)
        {
            throw new InvalidDataException($"{path}: is a zip, but not a torch.save archive: its first entry is not in a folder.");
        }

        // As torch's reader does, the archive's folder is the first entry's; every record is looked up inside it.
        var archive = zip.Entries[0].Name[..(slash + 1)];
        var records = zip.Entries.Where(e => e.Name.StartsWith(archive, StringComparison.Ordinal)).ToDictionary(e => e.Name[archive.Length..], StringComparer.Ordinal);
        if (records.ContainsKey("constants.pkl"))
        {
            throw new InvalidDataException($"{path}: is a TorchScript archive (torch.jit.save), not a torch.save checkpoint; TorchScript holds code and is not supported.");
        }

        CheckByteOrder(zip, records, path, archive);
        var pickle = records.TryGetValue("data.pkl", out var pickleEntry)
            ? zip.ReadSmall(pickleEntry, MaxPickleLength)
            : throw new InvalidDataException($"{path}: is a zip, but not a torch.save archive: it has no {archive}data.pkl.");

        var root = TorchPickle.Load(pickle, $"{path}: {archive}data.pkl");
        if (root is not PickleDict stateDict)
        {
            throw new InvalidDataException($"{path}: {archive}data.pkl holds {TorchPickle.Describe(root)}, not a state dict (a dict of tensors).");
        }

        var storages = new Dictionary<string, (ZipEntry Entry, long DataOffset)>(StringComparer.Ordinal);
        var tensors = new List<CheckpointTensor>(stateDict.Items.Count);
        foreach (var (key, value) in stateDict.Items)
        {
            if (key is not string name || value is not PickleTensor tensor)
            {
                throw new InvalidDataException(
                    $"{path}: the state dict maps {Quote(key)} to {TorchPickle.Describe(value)}; only tensors under string names are supported.");
            }

            tensors.Add(Locate(zip, records, storages, path, archive, name, tensor));
        }

        return tensors;
    }

    private static CheckpointTensor Locate(
        ZipDirectory zip, Dictionary<string, ZipEntry> records, Dictionary<string, (ZipEntry Entry, long DataOffset)> storages,
        string path, string archive, string name, PickleTensor tensor)
    {
        var storage = tensor.Storage;
        string Problem(string problem) => $"{path}: tensor '{name}' {problem}.";
        if (!storages.TryGetValue(storage.Key, out var located))
        {
            var entry = records.TryGetValue($"data/{storage.Key}", out var found)
                ? found
                : throw new InvalidDataException(Problem($"uses storage '{storage.Key}', but the archive has no {archive}data/{storage.Key}"));
            if (entry.Method != ZipEntry.Stored || entry.IsEncrypted || entry.CompressedSize != entry.UncompressedSize)
            {
                throw new InvalidDataException(Problem(
                    $"uses storage {archive}data/{storage.Key}, which is {(entry.IsEncrypted ? "encrypted" : $"compressed (method {entry.Method})")}; "
                    + "only stored (uncompressed) storages, as torch.save writes them, can be read in place"));
            }

            located = (entry, zip.DataOffset(entry));
            storages[storage.Key] = located;
        }

        var storageSize = TensorDtype.SizeOf(storage.Type ?? TensorElementType.UInt8);
        var storageBytes = located.Entry.UncompressedSize;
        if (storage.Numel > storageBytes / storageSize || storage.Numel * storageSize != storageBytes)
        {
            throw new InvalidDataException(Problem(
                $"uses storage '{storage.Key}' as {storage.Numel} {storage.TypeName} elements, but {archive}data/{storage.Key} holds {storageBytes} bytes"));
        }

        var shape = tensor.Shape;
        var elementSize = TensorDtype.SizeOf(tensor.Type);
        if (shape.Any(d => d < 0) || tensor.StorageOffset < 0 || tensor.Stride.Length != shape.Length)
        {
            throw new InvalidDataException(Problem(
                $"has size [{string.Join(", ", shape)}], stride [{string.Join(", ", tensor.Stride)}] and storage offset {tensor.StorageOffset}, which are not valid"));
        }

        long length, offset;
        try
        {
            length = checked(shape.Aggregate(1L, (a, b) => checked(a * b)) * elementSize);
            offset = checked(tensor.StorageOffset * elementSize);
            _ = checked(offset + length);
        }
        catch (OverflowException)
        {
            throw new InvalidDataException(Problem($"has size [{string.Join(", ", shape)}] and storage offset {tensor.StorageOffset}, which overflow"));
        }

        if (!IsContiguous(shape, tensor.Stride))
        {
            throw new InvalidDataException(Problem(
                $"is not contiguous (size [{string.Join(", ", shape)}], stride [{string.Join(", ", tensor.Stride)}]); only contiguous tensors are supported"));
        }

        if (offset + length > storageBytes)
        {
            throw new InvalidDataException(Problem(
                $"spans bytes {offset} to {offset + length} of storage '{storage.Key}', which holds only {storageBytes} bytes"));
        }

        return new CheckpointTensor(name, tensor.Type, shape, path, located.DataOffset + offset, length);
    }

    /// <summary>torch's <c>is_contiguous</c>: row-major strides, ignoring dimensions of size 1; an empty tensor is contiguous. The element count must not overflow.</summary>
    private static bool IsContiguous(long[] shape, long[] stride)
    {
        if (shape.Contains(0))
        {
            return true;
        }

        var expected = 1L;
        for (var i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] != 1 && stride[i] != expected)
            {
                return false;
            }

            expected *= shape[i];
        }

        return true;
    }

    private static void CheckMagic(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path)
    {
        Span<byte> magic = stackalloc byte[4];
        var read = RandomAccess.Read(handle, magic, 0);
        if (read == 4 && magic.SequenceEqual(ZipMagic))
        {
            return;
        }

        throw new InvalidDataException(read > 0 && magic[0] == 0x80
            ? $"{path}: is a legacy (PyTorch before 1.6, not zip) torch.save file, which is not supported; re-save it with a newer PyTorch or as safetensors."
            : $"{path}: is not a torch.save zip archive (it does not start with a zip local header).");
    }

    private static void CheckByteOrder(ZipDirectory zip, Dictionary<string, ZipEntry> records, string path, string archive)
    {
        // Archives without the record (PyTorch before 2.1) are little-endian, as torch.load assumes.
        if (!records.TryGetValue("byteorder", out var entry))
        {
            return;
        }

        var order = Encoding.ASCII.GetString(zip.ReadSmall(entry, 16));
        if (order != "little")
        {
            throw new InvalidDataException(order == "big"
                ? $"{path}: was saved on a big-endian machine ({archive}byteorder is 'big'); big-endian checkpoints are not supported."
                : $"{path}: {archive}byteorder holds '{order}', not 'little' or 'big'.");
        }
    }

    private static string Quote(object key) => key is string s ? $"'{s}'" : TorchPickle.Describe(key);
}
