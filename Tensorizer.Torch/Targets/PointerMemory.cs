using System.Buffers;

namespace Tensorizer.Torch.Targets;

/// <summary>A <see cref="Memory{T}"/> over native memory the caller keeps alive (a tensor's storage).</summary>
internal sealed unsafe class PointerMemory(IntPtr pointer, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new((void*)pointer, length);

    public override MemoryHandle Pin(int elementIndex = 0) => new((byte*)pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
