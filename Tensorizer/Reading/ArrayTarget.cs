namespace Tensorizer.Reading;

/// <summary>Loads a tensor into a managed byte array (tensors under 2 GiB: tests, tools, small models).</summary>
public sealed class ArrayTarget(long length) : ITensorTarget
{
    public byte[] Bytes { get; } = new byte[checked((int)length)];

    public Memory<byte> Acquire(long offset, int length, CancellationToken cancellationToken) => Bytes.AsMemory((int)offset, length);

    public void Release(long offset, Memory<byte> chunk)
    {
    }
}
